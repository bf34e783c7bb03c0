"""`deploy`: swap the running Rasa server to a new model without stopping it — only if the gate passed.

Uses Rasa's model endpoint: PUT /model {"model_file": "<absolute path>"}. The server loads the new
model next to the old one and switches over when it is ready; conversations and the tracker store are
untouched. Afterwards GET /status must report the new model's file and fingerprint (model_id), and
/model/parse must answer. The deployed model is then copied to models/moments.tar.gz (what `make run`
loads next time) and remembered as the baseline for the next `evaluate`.

The server is `make run`'s (http://localhost:5005, started by moments.serve with --enable-api behind
--auth-token); RASA_URL= for another. The token is always sent: RASA_TOKEN / RASA_AUTH_TOKEN from the
environment, else RASA_AUTH_TOKEN from this installation's secrets file (moments.secrets).

Several replicas behind HAProxy (`make deploy LB=<its runtime API socket>`, or REPLICAS=url,url): the same gate,
then the model goes onto one replica at a time, each out of the load balancer's rotation while it loads, and a
replica that fails puts every replica back on its previous model (moments/trainer/fleet.py).

Every deployment is appended to reports/trainer/deployments.json (server, model, sha256, what it replaced).
`deploy --rollback` puts back the model that was live before the current one on that server (gated too);
a model rolled back from is never picked again by a plain `deploy`. A server other than the one deployed to
last time is only touched after a confirmation (a question at a terminal; CONFIRM=1 / --yes otherwise).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, TextIO

import requests

from moments.trainer.evaluate import (LANGS, LANGUAGE_NAMES, _read_json, _write_json, baseline,
                                      copy_for_baseline, data_digest, evaluate, gate, gate_record, heldout_digest,
                                      model_intents, model_metadata, score_model, summary)
from moments.trainer.project import Project, file_sha256

DEFAULT_URL = "http://localhost:5005"


class DeployError(Exception):
    """Deployment refused or failed; the message says why and what to do."""


@dataclass
class Deployment:
    model: Path
    model_id: str
    previous: Dict
    seconds: float
    status: Dict = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)


class RasaServer:
    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, timeout: float = 10):
        self.url = url.rstrip("/")
        self.params = {"token": token} if token else {}
        self.timeout = timeout

    def _check(self, r: requests.Response) -> requests.Response:
        if r.status_code in (401, 403):
            raise DeployError(
                f"The Rasa server at {self.url} did not accept the token ({r.status_code}). Use the token it was "
                "started with: RASA_TOKEN=<its --auth-token> make deploy"
                + (f" RASA_URL={self.url}" if self.url != DEFAULT_URL else "")
                + " — for a server this checkout started (make run), the token is printed by "
                ".venv/bin/python -m moments.secrets show RASA_AUTH_TOKEN")
        return r

    def status(self) -> Dict:
        r = self._check(requests.get(f"{self.url}/status", params=self.params, timeout=self.timeout))
        r.raise_for_status()
        return r.json()

    def load(self, model: Path, timeout: float = 600) -> None:
        r = self._check(requests.put(f"{self.url}/model", params=self.params,
                                     json={"model_file": str(model.resolve())}, timeout=timeout))
        if r.status_code != 204:
            raise DeployError(f"The server refused the model ({r.status_code}): {r.text[:500]}")

    def parse(self, text: str) -> Dict:
        r = self._check(requests.post(f"{self.url}/model/parse", params=self.params, json={"text": text},
                                      timeout=self.timeout))
        r.raise_for_status()
        return r.json()


def server_token(cli_value: Optional[str] = None) -> Optional[str]:
    """--token, else RASA_TOKEN / RASA_AUTH_TOKEN, else this installation's secrets file."""
    if cli_value:
        return cli_value
    for key in ("RASA_TOKEN", "RASA_AUTH_TOKEN"):
        if os.environ.get(key):
            return os.environ[key]
    from moments import secrets

    return secrets.read(secrets.secrets_file()).get("RASA_AUTH_TOKEN") or None


def trained_from_current_data(project: Project, model: Path) -> bool:
    """Was `model` the last `train`, made from the data, domain, config and NLU code as they are now?"""
    from moments.trainer.training import load_state, what_changed

    last = load_state(project).get("model")
    return bool(last) and Path(last).resolve() == model.resolve() and not what_changed(project)


def check_gate(project: Project, model: Path, out: TextIO) -> Dict:
    """The gate outcome for `model` against what is deployed now; evaluates again when it is missing or stale
    (another model deployed since, or the data or test set changed since it was evaluated)."""
    record = gate_record(project, model)
    current = baseline(project, out)
    stale = (record is None
             or record.get("deployed_sha256") != (current or {}).get("sha256")
             or record.get("heldout_digest") != heldout_digest(project)
             or record.get("data_digest") != data_digest(project))
    if stale:
        out.write("This model has not been evaluated against the live one with today's data yet; evaluating now …\n")
        ev = evaluate(project, model, out=out)
        out.write(summary(project, ev) + "\n\n")
        record = gate_record(project, model)
    assert record is not None
    return record


# -- deployment history ---------------------------------------------------------------------------

def history(project: Project) -> List[Dict]:
    return _read_json(project.reports_dir / "deployments.json").get("deployments") or []


def _append_history(project: Project, entry: Dict) -> None:
    entries = history(project) + [entry]
    _write_json(project.reports_dir / "deployments.json", {"deployments": entries})


def last_server(project: Project) -> Optional[str]:
    entries = history(project)
    return entries[-1]["server"] if entries else None


def rolled_back_from(project: Project) -> Dict[str, str]:
    """sha256 -> when, of every model a rollback took off a server."""
    return {e["rollback_of"]: e["deployed_at"] for e in history(project) if e.get("rollback_of")}


def rollback_target(project: Project, url: str) -> Dict:
    """The history entry of the model live before the current one on `url` (skipping models rolled back from)."""
    entries = [e for e in history(project) if e.get("server") == url]
    if not entries:
        raise DeployError(f"Nothing to roll back to: nothing was deployed to {url} from this checkout yet "
                          "(reports/trainer/deployments.json). To put a given model live: make deploy MODEL=<file>")
    current = entries[-1]["sha256"]
    skip = set(rolled_back_from(project)) | {current}
    for e in reversed(entries[:-1]):
        if e["sha256"] not in skip and Path(e["model_file"]).exists():
            return e
        if e["sha256"] not in skip:
            raise DeployError(f"The model live before the current one, {e['model_file']}, is no longer there; "
                              "make deploy MODEL=<file> deploys a model you choose.")
    raise DeployError(f"There is no earlier model to roll back to on {url}: the current one "
                      f"({Path(entries[-1]['model_file']).name}) is the first this checkout deployed there.")


def _changes(project: Project, record: Dict, live: Optional[Dict], model: Path) -> List[str]:
    """What changes for the parents when `model` replaces the live one, in a few lines."""
    lines = []
    live_scores = record.get("live_scores") or (live or {}).get("scores") or {}
    for lang in LANGS:
        new, old = (record.get("scores") or {}).get(lang), live_scores.get(lang)
        if new and old:
            lines.append(f"  {LANGUAGE_NAMES[lang]:<8} accuracy {100 * old['accuracy']:.1f}% → "
                         f"{100 * new['accuracy']:.1f}% ({100 * (new['accuracy'] - old['accuracy']):+.1f})")
    if live and live.get("model_file"):
        added = sorted(set(model_intents(model)) - set(model_intents(Path(live["model_file"]))))
        gone = sorted(set(model_intents(Path(live["model_file"]))) - set(model_intents(model)))
        if added:
            lines.append(f"  new intents: {', '.join(added)}")
        if gone:
            lines.append(f"  intents it no longer knows: {', '.join(gone)}")
    return lines


def _confirm(url: str, last: Optional[str], confirmed: bool, ask, rollback: bool, args: Optional[str] = None) -> None:
    if confirmed or last == url:
        return
    why = (f"The last deployment from this checkout went to {last}, not to {url}." if last
           else f"Nothing was deployed to {url} from this checkout before.")
    where = args if args is not None else (f" RASA_URL={url}" if url != DEFAULT_URL else "")
    how = "make deploy" + (" ROLLBACK=1" if rollback else "") + where + " CONFIRM=1"
    if ask is not None:
        answer = ask(f"{why} Deploy to {url}? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
        raise DeployError(f"Not deployed: {url} was not confirmed.")
    raise DeployError(f"Not deployed: {why} To deploy there, say so: {how}")


def known_models(project: Project) -> Dict[str, Path]:
    """model_id -> a file of that model this checkout has: models/moments.tar.gz and what it deployed before."""
    files: Dict[str, Path] = {}
    if project.deployed_model.exists():
        try:
            files[model_metadata(project.deployed_model)["model_id"]] = project.deployed_model
        except Exception:  # noqa: BLE001 - an unreadable file is simply not a model we can put back
            pass
    for e in history(project):
        if e.get("model_id") and Path(e["model_file"]).exists():
            files[e["model_id"]] = Path(e["model_file"])
    return files


# -- deploy ---------------------------------------------------------------------------------------

def deploy(project: Project, model: Optional[Path] = None, url: str = DEFAULT_URL, token: Optional[str] = None,
           out: TextIO = None, wait_ready: float = 120, rollback: bool = False, confirmed: bool = False,
           ask=None, fleet=None) -> Deployment:
    """Loads `model` (default: the newest candidate; with rollback: the previous live model) into the server, or
    into every replica of `fleet` (moments.trainer.fleet.open_fleet) one at a time.

    ask: a function asking the trainer a yes/no question (a terminal), or None (refuse unless confirmed).
    """
    import sys

    out = out or sys.stdout
    url = url.rstrip("/")
    key = fleet.key if fleet else url  # what the deployment history calls this server (or set of replicas)
    args = fleet.make_args if fleet else (f" RASA_URL={url}" if url != DEFAULT_URL else "")
    target_entry = None
    if rollback:
        if model:
            raise DeployError("Give either ROLLBACK=1 or MODEL=…, not both.")
        target_entry = rollback_target(project, key)
        model = Path(target_entry["model_file"])
    explicit = model is not None
    model = Path(model) if model else project.latest_candidate()
    if model is None or not model.exists():
        raise DeployError("No model to deploy: make train-candidate first (or say which: make deploy MODEL=<file>)."
                          if model is None else f"There is no model file {model}.")
    model = model.resolve()
    from moments.trainer.training import experiment_note

    note = experiment_note(project, model)
    if note:
        raise DeployError(f"Not deploying: {note}. Train it properly (make train-candidate, without NO_VALIDATE) "
                          "and evaluate that.")
    sha = file_sha256(model)
    if not explicit and sha in rolled_back_from(project):
        raise DeployError(f"Not deploying {model.name}: it is the newest model, but it was rolled back on "
                          f"{rolled_back_from(project)[sha]}. Train a better one, or, if you really mean it: "
                          f"make deploy MODEL={project.rel(model)}")
    meta = model_metadata(model)
    if meta.get("training_type") == 1:  # TrainingType.NLU
        raise DeployError(f"{model.name} understands messages but has no dialogue part (made by `rasa train nlu`); "
                          "the server needs a complete model: make train-candidate.")

    if fleet:
        from moments.trainer.fleet import check_ready

        out.write(f"Replicas: {key}" + ("  (deployed to last time)" if last_server(project) == key else "")
                  + "\nLive now:\n")
        check_ready(fleet, out)
        previous = fleet.replicas[0].before
        files = known_models(project)
        for r in fleet.replicas:
            if r.before.get("model_id") not in files:
                raise DeployError(f"{r.label} runs {r.before.get('model_file')} (fingerprint "
                                  f"{r.before.get('model_id')}), and this checkout has no file of that model, so it "
                                  "could not put it back if a replica failed to load the new one. Nothing was changed. "
                                  "Deploy from the checkout that deployed it, or put that model at "
                                  f"{project.rel(project.deployed_model)}.")
        already = all(r.before.get("model_id") == meta.get("model_id") and r.before.get("model_file") == model.name
                      for r in fleet.replicas)
    else:
        out.write(f"Server: {url}" + ("  (the one deployed to last time)" if last_server(project) == url else "")
                  + "\n")
        server = RasaServer(url, token)
        try:
            previous = server.status()
        except requests.RequestException as e:
            raise DeployError(f"No Rasa server answers at {url} ({e.__class__.__name__}). Start the bot with "
                              "make run (it listens on http://localhost:5005), or say where it is: "
                              "make deploy RASA_URL=http://<server>:5005") from e
        out.write(f"Live now: {previous.get('model_file')} (fingerprint {previous.get('model_id')})\n")
        already = previous.get("model_id") == meta.get("model_id") and previous.get("model_file") == model.name
    out.write(f"{'Rolling back to' if rollback else 'New model'}: {project.rel(model)}"
              + (f" (live from {target_entry['deployed_at']} until the current one)" if target_entry else "") + "\n")
    if already:
        out.write(f"{model.name} is already the live model; nothing to do.\n")
        return Deployment(model, meta.get("model_id", ""), previous, 0.0, previous)
    _confirm(key, last_server(project), confirmed, ask, rollback, args)

    live = baseline(project, out)
    record = rollback_gate(project, model, live, out) if rollback else check_gate(project, model, out)
    if rollback and not record.get("passed"):
        # It was live before (and no experiment: checked above). Scoring lower than the live model on today's test
        # messages is expected when the live model learnt more; the trainer rolls back because it misbehaves with
        # real parents all the same. Say what they give up, and do it only when they say so.
        worse = "; ".join(record.get("reasons") or [])
        why = (f"{model.name} was live before, but it understands fewer of today's test messages than the live "
               f"model: {worse}.")
        how = "make deploy ROLLBACK=1" + args + " CONFIRM=1"
        if not confirmed:
            if ask is None or ask(f"{why}\nRoll back anyway? [y/N] ").strip().lower() not in ("y", "yes"):
                raise DeployError(f"Not rolled back: {why} The live model stays. If it is worse with real parents "
                                  f"all the same, roll back knowing this: {how}")
        out.write(f"Rolling back although it scores lower ({'confirmed' if confirmed else 'you said yes'}): {worse}\n")
        record = {**record, "passed": True}
    if not record.get("passed"):
        raise DeployError("Not deploying: the gate failed — " + "; ".join(record.get("reasons") or [])
                          + ". Report: reports/trainer/index.html. The live model stays as it is.")
    changes = _changes(project, record, live, model)
    if changes:
        out.write("What changes:\n" + "\n".join(changes) + "\n")

    # The first deployment from here: keep the model that was live, so a rollback can put it back.
    if not history(project) and project.deployed_model.exists() and live and \
            Path(live["model_file"]).resolve() == project.deployed_model.resolve():
        keep = project.candidates_dir / f"previous-live-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
        keep.parent.mkdir(parents=True, exist_ok=True)
        import shutil

        shutil.copy2(project.deployed_model, keep)
        _append_history(project, {"server": key, "model_file": str(keep), "sha256": live.get("sha256") or
                                  file_sha256(keep), "deployed_at": "before this checkout's first deployment",
                                  "model_id": model_metadata(keep).get("model_id") or previous.get("model_id")})

    if fleet:
        from moments.trainer.fleet import roll_out

        out.write(f"Loading {model.name} into one replica at a time"
                  + (", each out of the load balancer's rotation while it loads" if fleet.lb else "") + " …\n")
        seconds = roll_out(fleet, model, meta.get("model_id", ""), known_models(project), out, wait_ready)
        status = fleet.replicas[-1].server.status()
    else:
        out.write(f"Loading {model.name} into the server at {url} …\n")
        started = time.monotonic()
        server.load(model)
        deadline = time.monotonic() + wait_ready
        status: Dict = {}
        while time.monotonic() < deadline:
            try:
                status = server.status()
                if status.get("model_id") == meta.get("model_id") and status.get("model_file") == model.name:
                    server.parse("hello")
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise DeployError(f"The server did not switch to {model.name} (it reports {status}). The old model is "
                              "still answering; see the server log (var/logs/rasa.log).")
        seconds = time.monotonic() - started

    # What `make run` loads next time, and the baseline for the next evaluation.
    if project.deployed_model.resolve() != model:
        copy_for_baseline(model, project.deployed_model)
    current = trained_from_current_data(project, model)
    if current:
        # `make run` / `make test` retrain when data/, domain/ or config.yml is newer than models/.trained;
        # this model was trained from exactly those files, so they need not train it again.
        (project.models_dir / ".trained").touch()
    now = datetime.now().isoformat(timespec="seconds")
    _write_json(project.reports_dir / "deployed.json", {
        "model_file": str(model),
        "sha256": sha,
        "model_id": meta.get("model_id"),
        "deployed_at": now,
        "server": key,
        "heldout_digest": record.get("heldout_digest") if not rollback else None,
        "scores": record.get("scores") if not rollback else None,
    })
    _append_history(project, {"server": key, "model_file": str(model), "sha256": sha, "model_id": meta.get("model_id"),
                              "deployed_at": now, "replaced": previous.get("model_file"),
                              "rollback_of": (live or {}).get("sha256") if rollback else None,
                              **({"replicas": [r.url for r in fleet.replicas]} if fleet else {})})
    if fleet:
        out.write(f"{'Rolled back' if rollback else 'Deployed'}: all {len(fleet.replicas)} replicas "
                  f"({', '.join(r.label for r in fleet.replicas)}) now run {model.name} (fingerprint "
                  f"{meta.get('model_id')}), switched one at a time in {seconds:.1f}s without a restart. Also copied "
                  f"to {project.rel(project.deployed_model)}, which a replica loads when it restarts"
                  + (" (make run will not train it again)" if current else "") + ".\n"
                  + f"To undo: make deploy ROLLBACK=1{args}\n")
    else:
        out.write(f"{'Rolled back' if rollback else 'Deployed'}: the server at {url} now runs {model.name} "
                  f"(fingerprint {meta.get('model_id')}), switched in {seconds:.1f}s without a restart. Also copied to "
                  f"{project.rel(project.deployed_model)} for the next make run"
                  + (" (which will not train it again)" if current else "") + ".\n"
                  + ("To undo: make deploy ROLLBACK=1" + args + "\n"))
    return Deployment(model, meta.get("model_id", ""), previous, seconds, status)


def rollback_gate(project: Project, model: Path, live: Optional[Dict], out: TextIO) -> Dict:
    """The gate for putting a previous model back: never an experiment (checked before), and no language worse
    than the live model beyond noise on the intents both know (the live one may know intents the old one never
    learnt; the data checks were passed when it was trained)."""
    if not live:
        return {"passed": True, "reasons": ["nothing live to compare with"], "scores": None}
    common = set(model_intents(model)) & set(model_intents(Path(live["model_file"])))
    out.write(f"Checking {model.name} against the live model on the {len(common)} intents both know …\n")
    old = score_model(project, model, only_intents=common)
    now = score_model(project, Path(live["model_file"]), only_intents=common)
    outcome = gate(old, now)
    return {"passed": outcome.passed, "reasons": outcome.reasons, "scores": old, "live_scores": now}


def server_url(cli_value: Optional[str]) -> str:
    return (cli_value or os.environ.get("RASA_URL") or DEFAULT_URL).rstrip("/")
