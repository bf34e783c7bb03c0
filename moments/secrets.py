"""Per-installation secrets: generated on the first `make run` into a git-ignored file, never literals in the repo.

    var/secrets.env        KEY=value lines, mode 0600, one per secret below (MOMENTS_SECRETS_FILE overrides the path)

Every process of the assistant reads its secrets from the environment; `scripts/run.sh` (and the test stack) first
run `python -m moments.secrets ensure`, which creates the file or adds the keys a newer version needs (an existing
value is never changed), then export the file into the environment of the services it starts. A value already in
the environment wins over the file, so an operator can inject secrets from a vault instead.

    python -m moments.secrets ensure            create var/secrets.env or add missing keys
    python -m moments.secrets show KEY          print one value (e.g. for curl: -H "X-Admin-Key: $(… show AGENCIES_ADMIN_KEY)")
    python -m moments.secrets rotate KEY…       new random values for these keys (restart `make run` afterwards)
    python -m moments.secrets path              where the file is

A service started with an empty secret, or with one of the well-known development values below, refuses to start
unless MOMENTS_DEV=1 is set; then it prints a warning on the terminal (stderr), not only in a log.
"""
from __future__ import annotations

import os
import secrets as _random
import sys
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]

# name -> what it protects (the README's "For operators" table is written from this).
SECRETS: Dict[str, str] = {
    "RASA_AUTH_TOKEN": "Rasa HTTP API (--auth-token): /conversations, /model, /status; `?token=` on each request",
    "ACTION_SERVER_SECRET": "what Rasa sends the action server (X-Moments-Action-Secret); nobody else may call it",
    "AGENCIES_API_KEY": "X-API-Key of the calling system (the action server, the web page) at the agency services",
    "AGENCIES_ADMIN_KEY": "X-Admin-Key of the agency admin API (hospital feed, faults, reset)",
    "AGENCIES_TOKEN_SECRET": "HS256 key that signs and verifies mock-Singpass tokens (agencies, web channel)",
    "SMS_CONVERSATION_KEY": "HMAC key deriving SMS conversation ids from phone numbers",
    "TWILIO_AUTH_TOKEN": "checks X-Twilio-Signature on the SMS webhook; `make sms` and the tests sign with it",
    "CHANNEL_IDENTITY_KEY": "HMAC key of the identity record the channels hand the action server",
    "AGENCIES_NOTIFIER_KEY": "X-Notifier-Key of the agencies' /notify/v1 due lists (only the notifier reads them)",
    "TWILIO_API_TOKEN": "basic-auth token of the Twilio Messages API the notifier sends with (the local endpoint's)",
    "PRIVACY_KEY": "encrypts personal data in the tracker store (comma-separated: newest first, older still decrypt)",
    "CONSOLE_SESSION_KEY": "signs the trainers' and operators' console session cookies and CSRF tokens",
    "CONSOLE_TRAINER_PASSWORD": "first password of the console's `trainer` account (used when var/console-users.json is created)",
    "CONSOLE_OPERATOR_PASSWORD": "first password of the console's `operator` account (used when var/console-users.json is created)",
}

# Values that were once defaults in this repository (or that anyone could guess): never accepted outside dev mode.
DEV_VALUES = frozenset({
    "dev-agencies-key", "dev-agencies-admin-key", "dev-agencies-token-secret-not-for-production",
    "moments-sms-development-key", "changeme", "secret", "test",
})
DEV_SWITCH = "MOMENTS_DEV"


def secrets_file(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get("MOMENTS_SECRETS_FILE"):
        return Path(env["MOMENTS_SECRETS_FILE"])
    return Path(env.get("MOMENTS_VAR_DIR") or ROOT / "var") / "secrets.env"


def _generate(name: str) -> str:
    if name == "PRIVACY_KEY":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    while True:  # never a leading "-": a secret is pasted into command lines (`curl …?token=`, `--auth-token`)
        value = _random.token_urlsafe(32)
        if not value.startswith("-"):
            return value


def read(path: Path) -> Dict[str, str]:
    values: Dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def _write(path: Path, values: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Moments Assistant secrets for this installation. Generated; never commit. See README 'For operators'."]
    lines += [f"{k}={v}" for k, v in values.items()]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def ensure(path: Optional[Path] = None) -> Dict[str, str]:
    """The secrets in `path` (created, or completed with the keys it lacks); existing values are kept."""
    path = path or secrets_file()
    values = read(path)
    missing = [k for k in SECRETS if not values.get(k)]
    if missing or not path.exists():
        for key in missing:
            values[key] = _generate(key)
        _write(path, values)
    return values


def rotate(keys: Iterable[str], path: Optional[Path] = None) -> Dict[str, str]:
    path = path or secrets_file()
    values = ensure(path)
    for key in keys:
        if key not in SECRETS:
            raise SystemExit(f"unknown secret {key!r}; the secrets are: {', '.join(SECRETS)}")
        if key == "PRIVACY_KEY":  # keep the old key(s) after the new one, so what is stored still decrypts
            values[key] = ",".join([_generate(key)] + values[key].split(",")[:2])
        else:
            values[key] = _generate(key)
    _write(path, values)
    return values


def load_into_environ(path: Optional[Path] = None) -> None:
    """Puts the file's secrets into os.environ where the environment does not already set them."""
    for key, value in read(path or secrets_file()).items():
        os.environ.setdefault(key, value)


def dev_mode(env: Optional[Mapping[str, str]] = None) -> bool:
    env = os.environ if env is None else env
    return env.get(DEV_SWITCH, "").strip().lower() in ("1", "true", "yes")


def weak(value: Optional[str]) -> bool:
    return not value or value in DEV_VALUES or len(value) < 16


def require(service: str, names: Iterable[str], env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The named secrets from the environment. Refuses to start (SystemExit) when one is empty or a development
    value, unless MOMENTS_DEV=1, in which case it warns on stderr and goes on."""
    env = os.environ if env is None else env
    values = {n: env.get(n, "") for n in names}
    bad = [n for n, v in values.items() if weak(v)]
    if bad:
        what = ", ".join(bad)
        if not dev_mode(env):
            raise SystemExit(
                f"{service}: refusing to start: {what} {'is' if len(bad) == 1 else 'are'} empty or a development "
                f"value. Start it with `make run` (which generates {secrets_file(env)}), set the variable(s), or set "
                f"{DEV_SWITCH}=1 for a development shortcut.")
        warn(f"{service}: {what} empty or a development value ({DEV_SWITCH}=1). Do not expose this to anyone.")
    return values


def warn(message: str) -> None:
    """A development shortcut said on the terminal, in a way nobody can miss."""
    bar = "!" * 78
    print(f"\n{bar}\n!! WARNING (development mode): {message}\n{bar}\n", file=sys.stderr, flush=True)


def main(argv: Optional[list] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "ensure"
    path = secrets_file()
    if command == "ensure":
        existed = path.exists()
        ensure(path)
        if not existed:
            print(f"generated this installation's secrets in {path} (mode 0600; keep it out of git and backups you share)")
        return 0
    if command == "show" and len(argv) == 2:
        values = ensure(path)
        if argv[1] not in values:
            print(f"unknown secret {argv[1]!r}; the secrets are: {', '.join(SECRETS)}", file=sys.stderr)
            return 2
        print(values[argv[1]])
        return 0
    if command == "rotate" and len(argv) >= 2:
        rotate(argv[1:], path)
        print(f"rotated {', '.join(argv[1:])} in {path}; restart `make run` so every service uses the new value(s)")
        return 0
    if command == "path":
        print(path)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
