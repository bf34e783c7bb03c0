"""`deploy`: swap the running Rasa server to a new model without stopping it — only if the gate passed.

Uses Rasa's model endpoint: PUT /model {"model_file": "<absolute path>"}. The server loads the new
model next to the old one and switches over when it is ready; conversations and the tracker store are
untouched. Afterwards GET /status must report the new model's file and fingerprint (model_id), and
/model/parse must answer. The deployed model is then copied to models/moments.tar.gz (what `make run`
loads next time) and remembered as the baseline for the next `evaluate`.

The server is `make run`'s (http://localhost:5005, started with --enable-api); set RASA_URL / --url
for another, and RASA_TOKEN / --token when it was started with --auth-token.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, TextIO

import requests

from moments.trainer.evaluate import (_read_json, _write_json, baseline, copy_for_baseline, evaluate,
                                      gate_record, heldout_digest, model_metadata, summary)
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

    def status(self) -> Dict:
        r = requests.get(f"{self.url}/status", params=self.params, timeout=self.timeout)
        if r.status_code in (401, 403):
            raise DeployError(f"The server at {self.url} wants a token: set RASA_TOKEN or pass --token.")
        r.raise_for_status()
        return r.json()

    def load(self, model: Path, timeout: float = 600) -> None:
        r = requests.put(f"{self.url}/model", params=self.params, json={"model_file": str(model.resolve())},
                         timeout=timeout)
        if r.status_code != 204:
            raise DeployError(f"The server refused the model ({r.status_code}): {r.text[:500]}")

    def parse(self, text: str) -> Dict:
        r = requests.post(f"{self.url}/model/parse", params=self.params, json={"text": text}, timeout=self.timeout)
        r.raise_for_status()
        return r.json()


def trained_from_current_data(project: Project, model: Path) -> bool:
    """Was `model` the last `train`, made from the data, domain, config and NLU code as they are now?"""
    from moments.trainer.training import load_state, what_changed

    last = load_state(project).get("model")
    return bool(last) and Path(last).resolve() == model.resolve() and not what_changed(project)


def check_gate(project: Project, model: Path, out: TextIO) -> Dict:
    """The gate outcome for `model` against what is deployed now; evaluates again when it is missing or stale."""
    record = gate_record(project, model)
    current = baseline(project, out)
    stale = (record is None
             or record.get("deployed_sha256") != (current or {}).get("sha256")
             or record.get("heldout_digest") != heldout_digest(project))
    if stale:
        out.write("This model has not been evaluated against the deployed one yet; evaluating now …\n")
        ev = evaluate(project, model, out=out)
        out.write(summary(project, ev) + "\n\n")
        record = gate_record(project, model)
    assert record is not None
    return record


def deploy(project: Project, model: Optional[Path] = None, url: str = DEFAULT_URL, token: Optional[str] = None,
           out: TextIO = None, wait_ready: float = 120) -> Deployment:
    import sys

    out = out or sys.stdout
    model = Path(model) if model else project.latest_candidate()
    if model is None or not model.exists():
        raise DeployError("No model to deploy: run `python -m moments.trainer train` first (or pass --model).")
    model = model.resolve()
    meta = model_metadata(model)
    if meta.get("training_type") == 1:  # TrainingType.NLU
        raise DeployError(f"{model.name} understands messages but has no dialogue part (made by `rasa train nlu`); "
                          "the server needs a complete model: `python -m moments.trainer train`.")
    server = RasaServer(url, token)
    try:
        previous = server.status()
    except requests.RequestException as e:
        raise DeployError(f"No Rasa server answers at {url} ({e.__class__.__name__}). Start the bot with "
                          "`make run` (it listens on :5005 with the API enabled) or pass --url.") from e
    if previous.get("model_id") == meta.get("model_id") and previous.get("model_file") == model.name:
        out.write(f"{model.name} is already the deployed model.\n")

    record = check_gate(project, model, out)
    if not record.get("passed"):
        raise DeployError("Not deploying: the regression gate failed — " + "; ".join(record.get("reasons") or [])
                          + ". Fix the data, train and evaluate again (report: reports/trainer/index.html).")

    out.write(f"Loading {model.name} into the server at {url} (was {previous.get('model_file')}) …\n")
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
    _write_json(project.reports_dir / "deployed.json", {
        "model_file": str(model),
        "sha256": file_sha256(model),
        "model_id": meta.get("model_id"),
        "deployed_at": datetime.now().isoformat(timespec="seconds"),
        "server": url,
        "heldout_digest": record.get("heldout_digest"),
        "scores": record.get("scores"),
    })
    out.write(f"Deployed: the server now runs {model.name} (fingerprint {meta.get('model_id')}), "
              f"switched in {seconds:.1f}s without a restart. Also copied to {project.rel(project.deployed_model)} "
              "for the next `make run`" + (" (which will not train it again)" if current else "") + ".\n")
    return Deployment(model, meta.get("model_id", ""), previous, seconds, status)


def server_url(cli_value: Optional[str]) -> str:
    return cli_value or os.environ.get("RASA_URL") or DEFAULT_URL
