"""The trainer's pages of the console, on top of moments.trainer (the same functions as the make targets, so the same
checks and the same regression gate apply):

  /review   moments.trainer.review: build_queue (+ corrections and repeats) -> apply_decisions -> add_examples
  /train    moments.trainer.training.train, evaluate.evaluate, deploy.deploy (gate; rollback), deploy.history
  /data     moments.trainer.validate (Data, the checks of `make validate`), responses per language
"""
from __future__ import annotations

import difflib
import io
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse

from moments.privacy import mask_personal
from moments.trainer.nlu_files import norm, read_examples
from moments.trainer.project import LANGS

WHERE_INTENT = re.compile(r"\bintent (\w+)")
CONFLICT_RATIO = 0.8
REVIEW_DAYS = 30  # the messages of the last 30 days (CHAT_RETENTION: older conversations are deleted anyway)  # an existing example this close to a reviewed message, under another intent: shown


def audit(what: str, by: str, **fields) -> None:
    """var/logs/console-audit.log: who did what in the console (one JSON line; never a message text)."""
    import json
    import os
    from datetime import datetime, timezone

    path = Path(os.environ.get("MOMENTS_VAR_DIR", "var")) / "logs" / "console-audit.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "what": what, "by": by, **fields}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")


# -- review -------------------------------------------------------------------------------------------------------

def conflicts(project, items) -> Dict[Tuple[Optional[str], str], List[Tuple[str, str]]]:
    """For each item (lang, key): the existing training examples of its language that read nearly the same,
    with their intents — adding the message under another intent would teach the model both."""
    examples: Dict[str, List[Tuple[str, str, str]]] = {}
    out: Dict[Tuple[Optional[str], str], List[Tuple[str, str]]] = {}
    for it in items:
        if it.lang not in LANGS:
            continue
        if it.lang not in examples:
            examples[it.lang] = [(intent, ex, norm(ex)) for intent, exs in read_examples(project.nlu_file(it.lang)).items()
                                 for ex in exs]
        key = it.key
        found = []
        for intent, ex, n in examples[it.lang]:
            m = difflib.SequenceMatcher(None, key, n)
            if m.real_quick_ratio() >= CONFLICT_RATIO and m.quick_ratio() >= CONFLICT_RATIO and m.ratio() >= CONFLICT_RATIO:
                found.append((intent, ex))
        out[(it.lang, key)] = found[:5]
    return out


# -- background jobs (training, evaluation, deployment): one at a time, their output kept for the page ---------

class Output(io.TextIOBase):
    def __init__(self) -> None:
        self.lines: List[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        text = self._partial + text.replace("\r", "\n")
        *done, self._partial = text.split("\n")
        self.lines.extend(mask_personal(line) for line in done if line.strip())
        del self.lines[:-400]
        return len(text)

    def text(self) -> str:
        return "\n".join(self.lines + ([self._partial] if self._partial.strip() else []))


@dataclass
class Job:
    kind: str
    by: str
    started: float = field(default_factory=time.time)
    out: Output = field(default_factory=Output)
    done: bool = False
    ok: Optional[bool] = None
    message: str = ""


class Jobs:
    def __init__(self) -> None:
        self.current: Optional[Job] = None
        self.lock = threading.Lock()

    def busy(self) -> bool:
        return self.current is not None and not self.current.done

    def start(self, kind: str, by: str, work) -> Optional[Job]:
        with self.lock:
            if self.busy():
                return None
            job = self.current = Job(kind, by)

        def run() -> None:
            try:
                job.message = work(job.out) or ""
                job.ok = True
            except Exception as e:  # noqa: BLE001 - said on the page; the trainer's errors carry what to do
                job.ok = False
                job.message = mask_personal(str(e)) or e.__class__.__name__
            finally:
                job.done = True

        threading.Thread(target=run, name=f"console-{kind}", daemon=True).start()
        return job


def install(app, state, tpl) -> None:
    """Adds the trainer's routes to the console app."""
    need, posted, render = app.state.need, app.state.posted, app.state.render
    project = state.project
    jobs = Jobs()
    app.state.jobs = jobs

    def queue(lang: Optional[str] = None):
        from moments.trainer import review

        from sqlalchemy import create_engine, inspect

        url = state.tracker_url()
        if url is None:
            return []
        engine = create_engine(url)
        try:
            if not inspect(engine).has_table("events"):  # the bot has not stored a conversation yet
                return []
        finally:
            engine.dispose()
        # the queue is computed at most once a minute (reading every user message is the slow part); what the
        # trainer decided since is taken out at once (the data and the ignore list are read again each time)
        items = state.cached(("review", url), lambda: review.build_queue(
            project, review.read_user_messages(url, since=time.time() - REVIEW_DAYS * 86400), signals=True))
        known = {norm(e) for la in LANGS for path in (project.nlu_file(la), project.heldout_file(la))
                 for exs in read_examples(path).values() for e in exs}
        ignored = review.ignored_keys(project)
        return [it for it in items if lang in (None, it.lang) and it.key not in known
                and review._ignore_hash(it.text) not in ignored]

    def review_page(request: Request, session, message: str = "", ok: bool = True, status: int = 200):
        lang = request.query_params.get("lang") or None
        if lang not in (None, *LANGS):
            lang = None
        from moments.trainer.review import ReviewError
        try:
            items = queue(lang)
        except ReviewError as e:
            items, message, ok = [], str(e), False
        groups: Dict[Optional[str], Dict[Optional[str], list]] = defaultdict(lambda: defaultdict(list))
        for it in items:
            groups[it.lang][it.likely].append(it)
        intents = sorted(project.domain().get("intents") or [])
        return render(request, "review.html", session, status=status, title="Review what the bot was unsure of",
                      groups={k: dict(v) for k, v in groups.items()}, count=len(items), intents=intents,
                      conflicts=conflicts(project, items), message=message, ok=ok, lang=lang)

    @app.get("/review")
    def review_get(request: Request):
        return review_page(request, need(request, "review"))

    @app.post("/review")
    async def review_post(request: Request):
        from moments.trainer import review
        from moments.trainer.scaffold import INTENT_NAME

        session, form = await posted(request, "review")
        text, lang, action = form.get("text", ""), form.get("lang") or None, form.get("action", "")
        new_intent = (form.get("new_intent") or "").strip()
        if lang not in LANGS:
            return review_page(request, session, "Say which language the message is in.", ok=False, status=400)
        if action == "ignore":
            decision = review.Decision(text, ignore=True, lang=lang)
        elif action == "out_of_scope":
            decision = review.Decision(text, intent="out_of_scope", lang=lang)
        elif new_intent:
            if not INTENT_NAME.match(new_intent):
                return review_page(request, session, f"'{new_intent}' cannot be an intent name: lower-case letters, "
                                   "digits and _ (e.g. ask_preschool_fees).", ok=False, status=400)
            decision = review.Decision(text, new_intent=new_intent, lang=lang)
        elif form.get("intent"):
            decision = review.Decision(text, intent=form["intent"], lang=lang)
        else:
            return review_page(request, session, "Choose an intent (or type a new one).", ok=False, status=400)
        items = queue()
        result = review.apply_decisions(project, items, [decision], out=io.StringIO())
        audit("review", session.user, lang=lang, decision=action if action != "add" else "example",
              intent=decision.new_intent or decision.intent, added=len(result.added), problems=len(result.problems))
        message = review.describe_applied(project, result).replace("make validate, then train and evaluate",
                                                                   "train and evaluate on the Train & deploy page")
        return review_page(request, session, message, ok=not result.problems)

    # -- train / evaluate / deploy ------------------------------------------------------------------------------
    def train_values() -> dict:
        from moments.trainer import deploy, evaluate

        candidate = project.latest_candidate()
        gate = evaluate.gate_record(project, candidate) if candidate and candidate.exists() else None
        results = evaluate._read_json(project.reports_dir / "results.json")
        fresh = bool(gate) and gate.get("data_digest") == evaluate.data_digest(project) and \
            gate.get("heldout_digest") == evaluate.heldout_digest(project)
        history = list(reversed(deploy.history(project)))
        blind = blind_figures(project)
        return {"candidate": candidate, "gate": gate, "gate_fresh": fresh, "results": results,
                "history": history, "job": jobs.current, "busy": jobs.busy(),
                "report": (project.reports_dir / "index.html").exists(), "rel": project.rel,
                "rasa_url": state.settings.rasa_url, "blind": blind}

    @app.get("/train")
    def train_get(request: Request):
        session = need(request, "train")
        return render(request, "train.html", session, title="Train, evaluate and deploy", **train_values(),
                      refresh=jobs.busy())

    def started(request: Request, session, job) -> object:
        if job is not None:
            audit(job.kind, session.user)
        if job is None:
            return render(request, "train.html", session, status=409, title="Train, evaluate and deploy",
                          **train_values(), refresh=True,
                          notice="Something is already running (see below); wait until it is done.")
        return RedirectResponse("/train", status_code=303)

    @app.post("/train/start")
    async def train_start(request: Request):
        from moments.trainer.training import train

        session, form = await posted(request, "train")
        quick = form.get("quick") == "1"

        def work(out):
            r = train(project, out=out, quick=quick)
            return f"Trained {project.rel(r.model)}." if getattr(r, "model", None) else "Training finished."
        return started(request, session, jobs.start("training", session.user, work))

    @app.post("/train/evaluate")
    async def train_evaluate(request: Request):
        from moments.trainer import evaluate

        session, form = await posted(request, "train")

        def work(out):
            ev = evaluate.evaluate(project, None, out=out)
            out.write(evaluate.summary(project, ev) + "\n")
            return "The gate passed: this model may be deployed." if ev.gate.passed else \
                "The gate failed: " + "; ".join(ev.gate.reasons)
        return started(request, session, jobs.start("evaluation", session.user, work))

    @app.post("/train/deploy")
    async def train_deploy(request: Request):
        return await _deploy(request, rollback=False)

    @app.post("/train/rollback")
    async def train_rollback(request: Request):
        return await _deploy(request, rollback=True)

    async def _deploy(request: Request, rollback: bool):
        from moments.trainer import deploy

        session, form = await posted(request, "deploy")
        confirmed = form.get("confirm") == "1"

        def work(out):
            d = deploy.deploy(project, None, url=state.settings.rasa_url, token=deploy.server_token(), out=out,
                              rollback=rollback, confirmed=True if not rollback else confirmed)
            return f"{'Rolled back to' if rollback else 'Deployed'} {d.model.name}: the bot answers with it now."
        return started(request, session, jobs.start("rollback" if rollback else "deployment", session.user, work))

    @app.get("/train/report/{name}")
    def report_file(request: Request, name: str):
        need(request, "train")
        if "/" in name or name.startswith(".") or not (name.endswith(".html") or name.endswith(".png")):
            return PlainTextResponse("not found", status_code=404)
        path = project.reports_dir / name
        if not path.is_file():
            return PlainTextResponse("No evaluation report yet: evaluate a candidate first.", status_code=404)
        # the report is a page of its own (its inline styles allowed, never a script)
        return FileResponse(path, headers={"Content-Security-Policy": "default-src 'none'; img-src 'self'; "
                                           "style-src 'unsafe-inline'; frame-ancestors 'none'"})

    # -- data -------------------------------------------------------------------------------------------------
    @app.post("/data/examples")
    async def data_edit(request: Request):
        """One intent's examples in one language, as the trainer edited them (one per line): the new lines go
        through add_examples (its checks: another intent's example, a test message, the wrong script, masking),
        the lines taken out through nlu_files.remove_examples."""
        from moments.trainer.nlu_files import clean_example, remove_examples
        from moments.trainer.scaffold import TrainerError, add_examples, describe_added

        session, form = await posted(request, "data")
        intent, lang = form.get("intent", ""), form.get("lang", "")
        if lang not in LANGS or intent not in (project.domain().get("intents") or []):
            return data_page(request, session, "Choose an intent and a language first.", ok=False, status=400)
        wanted = [clean_example(line) for line in (form.get("examples") or "").splitlines()]
        wanted = [w for w in wanted if w]
        current = read_examples(project.nlu_file(lang)).get(intent, [])
        have = {norm(e) for e in current}
        keep = {norm(w) for w in wanted}
        added = [w for w in wanted if norm(w) not in have]
        removed = [e for e in current if norm(e) not in keep]
        lines, ok = [], True
        if added:
            try:
                r = add_examples(project, intent, lang, added)
                lines.append(describe_added(project, r))
                ok = not r.refused
            except TrainerError as e:
                lines.append(str(e))
                ok = False
        audit("edit-examples", session.user, intent=intent, lang=lang, added=len(added), removed=len(removed))
        if removed:
            n = remove_examples(project.nlu_file(lang), intent, removed)
            lines.append(f"Removed {n} example(s) from {intent} in {project.rel(project.nlu_file(lang))}.")
        if not lines:
            lines.append("Nothing changed.")
        return data_page(request, session, "\n".join(lines), ok=ok, intent=intent)

    @app.get("/data")
    def data_get(request: Request):
        return data_page(request, need(request, "data"))

    def data_page(request: Request, session, message: str = "", ok: bool = True, status: int = 200,
                  intent: Optional[str] = None):
        from moments.trainer.validate import validate

        report = validate(project, run_rasa=False)
        examples = {lang: read_examples(project.nlu_file(lang)) for lang in LANGS}
        intents = sorted(set(project.domain().get("intents") or []) | {i for e in examples.values() for i in e})
        problems: Dict[str, List[str]] = defaultdict(list)
        general: List[str] = []
        for p in report.problems:
            found = WHERE_INTENT.search(p.where or "")  # "data/nlu/ms.yml, intent ask_baby_bonus"
            text = mask_personal(p.message + (f" {p.fix}" if p.fix else ""))
            (problems[found.group(1)] if found else general).append(text)
        only = intent or request.query_params.get("intent")
        return render(request, "data.html", session, status=status, message=message, ok=ok,
                      title="Training data", intents=intents, examples=examples,
                      problems=problems, general=general, only=only if only in intents else None,
                      responses=responses_by_language(project))


def blind_figures(project) -> Optional[Tuple[str, str]]:
    """(when, the held-out vs blind table) from the last `make eval` (reports/eval.md), if there is one: the blind
    set's aggregates only, as make eval prints them."""
    path = project.root / "reports" / "eval.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if "## Both sets (ours)" not in text:
        return None
    part = text.split("## Both sets (ours)", 1)[1].split("\n## ", 1)[0].strip()
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime)), part


def responses_by_language(project) -> List[Tuple[str, Dict[str, List[str]], List[str]]]:
    """(response, {lang: texts}, languages missing) for every response of the domain (web/default variants)."""
    from moments.trainer.responses import variants_by_language

    out = []
    for name, variations in sorted((project.domain().get("responses") or {}).items()):
        by_lang = variants_by_language(variations or [])
        texts = {lang: [v.get("text") or "(buttons/custom only)" for v in by_lang.get(lang, [])] for lang in LANGS}
        out.append((name, texts, [lang for lang in LANGS if not texts[lang]]))
    return out


__all__ = ["install", "conflicts", "Jobs", "Path"]
