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

    def domain_sources(self, key: str) -> Dict[str, str]:
        """{name: domain file (relative) that defines it} for one domain key, e.g. "responses"."""
        out: Dict[str, str] = {}
        files = sorted(p for p in self.domain_dir.rglob("*") if p.suffix in (".yml", ".yaml")) \
            if self.domain_dir.is_dir() else [self.root / "domain.yml"]
        for path in files:
            doc = load_yaml(path.read_text(encoding="utf-8")) or {}
            section = doc.get(key) if isinstance(doc, dict) else None
            names = section if isinstance(section, list) else list((section or {}).keys())
            for item in names:
                out.setdefault(item if isinstance(item, str) else next(iter(item)), self.rel(path))
        return out

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


# -- broken YAML, said once and plainly --------------------------------------------------------------

class BrokenYaml(Exception):
    """A file a trainer edits cannot be read as YAML. str() is the one sentence to show."""

    def __init__(self, rel_path: str, line: Optional[int], problem: str):
        self.rel_path, self.line, self.problem = rel_path, line, problem
        where = f"{rel_path}, line {line}" if line else rel_path
        super().__init__(f"{where}: {problem}")


def _plain_yaml_problem(error: Exception, text: str) -> tuple:
    """(line, sentence) for a YAML error, in words a trainer can act on."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    raw = f"{getattr(error, 'context', '') or ''} {getattr(error, 'problem', '') or ''}".strip() or str(error)
    lines = text.splitlines()
    here = lines[line - 1] if line and line <= len(lines) else ""
    if "mapping values are not allowed" in raw or "expected <block end>" in raw or "did not find expected" in raw:
        if '"' in here and here.count('"') > 2:
            sentence = ("a quote (\") inside a text that is itself between quotes ends the text too early: "
                        "write the inner quotes as “ ” or put the whole text between single quotes (').")
        else:
            sentence = ("the indentation does not match the lines around it (or a quote or colon is missing): "
                        "compare the spaces at the start of this line with the lines above and below.")
    elif "found character '\\t'" in raw:
        sentence = "there is a tab character: use spaces only."
    elif "could not find expected ':'" in raw or "simple key" in raw:
        sentence = "a line is missing its ':' or a quote is not closed."
    elif "found unexpected end of stream" in raw or "unexpected end" in raw:
        sentence = "a quote is opened and never closed."
    else:
        sentence = f"the file cannot be read ({' '.join(raw.split())}); check the indentation and the quotes."
    return line, sentence


def yaml_error(path: Path, root: Path) -> Optional[BrokenYaml]:
    """The problem with one YAML file, or None when it reads fine (or does not exist)."""
    import yaml

    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return BrokenYaml(_rel(path, root), None, "the file is not saved as UTF-8 text: save it again as UTF-8.")
    try:
        load_yaml(text)
    except yaml.YAMLError as e:
        line, sentence = _plain_yaml_problem(e, text)
        return BrokenYaml(_rel(path, root), line, sentence)
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def broken_yaml_files(project: "Project") -> List[BrokenYaml]:
    """Every file a trainer edits (data, domain, test set, config) that is not valid YAML."""
    files = [project.config]
    for folder in (project.domain_dir, project.data_dir, project.heldout_dir):
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml"))
    return [e for e in (yaml_error(p, project.root) for p in files) if e]


def require_readable_yaml(project: "Project") -> None:
    """Raises the first BrokenYaml: nothing else is worth saying until that file is fixed."""
    broken = broken_yaml_files(project)
    if broken:
        raise broken[0]
