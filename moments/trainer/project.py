"""Where a project's files are, and how the trainer runs Rasa on them.

Every command takes `--root` (default: this checkout), so tests run them on a temporary copy.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

LANGS = ("en", "zh", "ms", "ta")
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ms": "Malay", "ta": "Tamil"}
DEFAULT_ROOT = Path(__file__).resolve().parents[2]

# Quiet, offline-friendly environment for every rasa subprocess.
RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


def load_yaml(text: str):
    """yaml.safe_load, with libyaml's C parser when it is there (several times faster on our data)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def rasa_executable() -> str:
    candidate = Path(sys.executable).parent / "rasa"
    return str(candidate) if candidate.exists() else "rasa"


@dataclass(frozen=True)
class Project:
    root: Path = DEFAULT_ROOT

    # -- files --------------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def domain_dir(self) -> Path:
        return self.root / "domain"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def nlu_dir(self) -> Path:
        return self.data_dir / "nlu"

    @property
    def rules_dir(self) -> Path:
        return self.data_dir / "rules"

    @property
    def stories_dir(self) -> Path:
        return self.data_dir / "stories"

    @property
    def heldout_dir(self) -> Path:
        return self.root / "tests" / "nlu" / "heldout"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def candidates_dir(self) -> Path:
        """Models `train` makes. Not in models/ itself: `rasa run -m models` must not pick one up untested."""
        return self.models_dir / "candidates"

    @property
    def deployed_model(self) -> Path:
        """What `make run` / the tests load; `deploy` copies the deployed model here."""
        return self.models_dir / "moments.tar.gz"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports" / "trainer"

    @property
    def state_dir(self) -> Path:
        return self.root / "var" / "trainer"

    @property
    def endpoints(self) -> Path:
        return self.root / "endpoints.yml"

    def nlu_file(self, lang: str) -> Path:
        return self.nlu_dir / f"{lang}.yml"

    def heldout_file(self, lang: str) -> Path:
        return self.heldout_dir / f"{lang}.yml"

    def rel(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    # -- contents -----------------------------------------------------------------------------
    def domain(self) -> Dict:
        """The parts of the merged domain the trainer tools read: intents, entities, slots, responses.

        Merged like Rasa merges a domain directory, but with plain YAML: Rasa's Domain.load validates
        every file against its schema and takes seconds; `rasa data validate` does that part.
        """
        merged: Dict = {"intents": [], "entities": [], "slots": {}, "responses": {}, "actions": [], "forms": {}}
        files = sorted(p for p in self.domain_dir.rglob("*") if p.suffix in (".yml", ".yaml")) \
            if self.domain_dir.is_dir() else [self.root / "domain.yml"]
        for path in files:
            doc = load_yaml(path.read_text(encoding="utf-8")) or {}
            if not isinstance(doc, dict):
                raise ValueError(f"{self.rel(path)} is not a YAML mapping")
            for key in ("intents", "entities", "actions"):
                for item in doc.get(key) or []:
                    name = item if isinstance(item, str) else next(iter(item))
                    if name not in merged[key]:
                        merged[key].append(name)
            for key in ("slots", "responses", "forms"):
                for name, value in (doc.get(key) or {}).items():
                    merged[key].setdefault(name, value)
        merged["intents"].sort()
        return merged

    def latest_candidate(self) -> Optional[Path]:
        models = sorted(self.candidates_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        return models[-1] if models else None

    # -- running rasa -------------------------------------------------------------------------
    def rasa_env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = {**os.environ, **RASA_ENV}
        # Rasa's training cache lives next to the project unless told otherwise.
        env.setdefault("RASA_CACHE_DIRECTORY", str(self.root / ".rasa" / "cache"))
        return {**env, **(extra or {})}

    def run_rasa(self, args: List[str], timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([rasa_executable(), *args], cwd=self.root, env=self.rasa_env(),
                              capture_output=True, text=True, timeout=timeout, **kwargs)


def files_digest(paths: Iterable[Path], root: Path) -> str:
    """A hash of the names and contents of `paths` (sorted), to tell what changed between trainings."""
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
