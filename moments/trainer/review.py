"""`review`: what real users said that the bot was unsure of, turned into training examples.

Reads user messages from Rasa's SQL tracker store (the `events` table, SQLite or PostgreSQL, as
configured in endpoints.yml) and keeps the ones where the bot was unsure:
  - the NLU fell back (intent nlu_fallback),
  - the top intent's confidence was below --below (default 0.6),
  - the user asked for a person (human_handoff), and the message just before that request.
Messages already in the training or test data, button payloads ("/intent") and ones the trainer
ignored before are skipped. NRICs and phone numbers are masked before anything is shown or written.

The trainer then assigns each message an intent, a new intent (scaffolded like add-intent), or
"ignore" — interactively, or from a decisions file (YAML list of {text, intent | new_intent | ignore,
lang?}), e.g. one written by --template and edited.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, TextIO

import yaml

from moments.privacy import mask_personal
from moments.trainer.nlu_files import norm, read_examples
from moments.trainer.project import LANGS, LANGUAGE_NAMES, Project

DEFAULT_BELOW = 0.6
FALLBACK = "nlu_fallback"
HANDOFF = "human_handoff"


# -- reading the tracker store --------------------------------------------------------------------

def tracker_store_url(project: Project, db: Optional[str] = None, url: Optional[str] = None) -> str:
    """SQLAlchemy URL of the tracker store: --db-url, --tracker-db (SQLite file) or endpoints.yml."""
    if url:
        return url
    if db:
        if not Path(db).is_file():
            raise ReviewError(f"There is no file {db} (TRACKER_DB= names the bot's SQLite tracker store, "
                              "var/tracker.db unless endpoints.yml says otherwise).")
        return f"sqlite:///{Path(db).resolve()}"
    from rasa.core.tracker_store import SQLTrackerStore

    cfg = _tracker_store_section(project)
    # `SQL`, Rasa's class by path, or a subclass such as moments.privacy.store.PrivateSQLTrackerStore (same table)
    if not (str(cfg.get("type", "")).lower() == "sql" or str(cfg.get("type", "")).lower().endswith("sqltrackerstore")):
        raise ReviewError(f"{project.rel(project.endpoints)} has no SQL tracker store; say where the conversations are: "
                         "make review TRACKER_DB=var/tracker.db")
    dialect = cfg.get("dialect", "sqlite")
    database = cfg.get("db", "rasa.db")
    if dialect == "sqlite" and not Path(database).is_absolute():
        database = str(project.root / database)  # Rasa resolves it from where `make run` starts: the root
    if dialect == "sqlite" and not Path(database).exists():
        raise NoConversationsYet(f"No conversations yet: there is no {project.rel(Path(database))} (the bot creates it when "
                          "make run has its first conversation). Conversations kept elsewhere: "
                          "make review TRACKER_DB=<file>")
    return str(SQLTrackerStore.get_db_url(dialect=dialect, host=cfg.get("url"), port=cfg.get("port"), db=database,
                                          username=cfg.get("username"), password=cfg.get("password"),
                                          login_db=cfg.get("login_db"), query=cfg.get("query")))


class ReviewError(Exception):
    """The conversations cannot be read; the message says why and what to do."""


class NoConversationsYet(ReviewError):
    """The configured SQLite store does not exist yet: nothing to review (not a failure)."""


_ENV_VAR = re.compile(r"\$\{([^}]+)\}")


def _tracker_store_section(project: Project) -> Dict:
    """endpoints.yml's tracker_store, with ${VARIABLES} filled in from the environment.

    Only that section: Rasa's own reader expands every ${…} in the file (the action server's secret too), which a
    trainer's terminal does not have and review does not need.
    """
    import os

    rel = project.rel(project.endpoints)
    try:
        doc = yaml.safe_load(project.endpoints.read_text(encoding="utf-8")) or {}
    except OSError:
        raise ReviewError(f"There is no {rel} to say where the conversations are; say it yourself: "
                          "make review TRACKER_DB=var/tracker.db")
    section = doc.get("tracker_store") if isinstance(doc, dict) else None
    if not isinstance(section, dict):
        return {}

    def fill(value):
        if not isinstance(value, str):
            return value
        missing = [name for name in _ENV_VAR.findall(value) if name not in os.environ]
        if missing:
            raise ReviewError(f"{rel}'s tracker_store needs {', '.join(missing)}, which is not set here. Run it with "
                              "this installation's secrets (scripts/with-secrets.sh make review), or say where the "
                              "conversations are: make review TRACKER_DB=var/tracker.db")
        return _ENV_VAR.sub(lambda m: os.environ[m.group(1)], value)

    return {key: fill(value) for key, value in section.items()}


@dataclass
class UserMessage:
    sender_id: str
    timestamp: float
    text: str
    parse: Dict


def read_user_messages(url: str, since: Optional[float] = None) -> List[UserMessage]:
    """Every user message in the store, per conversation in time order."""
    from sqlalchemy import MetaData, Table, create_engine, select

    engine = create_engine(url, future=True)
    try:
        events = Table("events", MetaData(), autoload_with=engine)
        stmt = (select(events.c.sender_id, events.c.timestamp, events.c.data)
                .where(events.c.type_name == "user")
                .order_by(events.c.sender_id, events.c.timestamp, events.c.id))
        if since is not None:
            stmt = stmt.where(events.c.timestamp >= since)
        out = []
        with engine.connect() as conn:
            for sender_id, timestamp, data in conn.execute(stmt):
                event = json.loads(data) if isinstance(data, str) else (data or {})
                text = event.get("text") or ""
                out.append(UserMessage(sender_id, float(timestamp or 0), text, event.get("parse_data") or {}))
        return out
    finally:
        engine.dispose()


# -- the review queue -----------------------------------------------------------------------------

@dataclass
class Item:
    text: str                 # masked
    lang: Optional[str]
    likely: Optional[str]     # the intent the model leaned to
    confidence: Optional[float]
    reasons: List[str] = field(default_factory=list)
    count: int = 0
    conversations: int = 0

    @property
    def key(self) -> str:
        return norm(self.text)


def _likely_intent(parse: Dict) -> (Optional[str], Optional[float]):
    top = parse.get("intent") or {}
    if top.get("name") and top["name"] != FALLBACK:
        return top["name"], top.get("confidence")
    for r in parse.get("intent_ranking") or []:
        if r.get("name") and r["name"] != FALLBACK:
            return r["name"], r.get("confidence")
    return None, top.get("confidence")


def _why_unsure(parse: Dict, below: float) -> Optional[str]:
    top = parse.get("intent") or {}
    name, conf = top.get("name"), top.get("confidence")
    if name == FALLBACK:
        return "fallback (the bot did not understand)"
    if name == HANDOFF:
        return "asked for a person"
    if conf is not None and conf < below:
        return f"low confidence ({conf:.2f})"
    return None


def ignored_keys(project: Project) -> set:
    try:
        return set(json.loads((project.state_dir / "review.json").read_text()).get("ignored", []))
    except (OSError, ValueError):
        return set()


def _ignore_hash(text: str) -> str:
    return hashlib.sha256(norm(text).encode()).hexdigest()[:24]  # no message text kept on disk


def remember_ignored(project: Project, texts: Iterable[str]) -> None:
    keys = ignored_keys(project) | {_ignore_hash(t) for t in texts}
    project.state_dir.mkdir(parents=True, exist_ok=True)
    (project.state_dir / "review.json").write_text(json.dumps({"ignored": sorted(keys)}, indent=1))


def _detect_language(text: str) -> Optional[str]:
    # Imported only when a message has no language: moments.nlu.language loads Rasa's NLU stack.
    from moments.nlu.language import detect_language

    return detect_language(text)


CORRECTION_INTENTS = frozenset({"deny"})
# what a yes/no or form answer is understood as: a "no" after one of these is an answer, not a correction
ANSWER_INTENTS = frozenset({"affirm", "deny", "inform", "stop", "greet", "thank", "goodbye", FALLBACK, HANDOFF})
REPEAT_RATIO = 0.85


def _repeats(text: str, before: str) -> bool:
    """The user said (nearly) the same thing again: the bot's answer did not help."""
    import difflib

    a, b = norm(text), norm(before)
    if len(a) < 4 or text.startswith("/"):
        return False
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= REPEAT_RATIO


def build_queue(project: Project, messages: List[UserMessage], below: float = DEFAULT_BELOW,
                signals: bool = False) -> List[Item]:
    """signals=True (the console) also keeps a confident message the user said "no" to right after (a deny
    following anything but a yes/no answer), and a message the user repeated (nearly) word for word."""
    known = set()
    for lang in LANGS:
        for path in (project.nlu_file(lang), project.heldout_file(lang)):
            for exs in read_examples(path).values():
                known |= {norm(e) for e in exs}
    ignored = ignored_keys(project)
    items: Dict[tuple, Item] = {}
    senders: Dict[tuple, set] = defaultdict(set)

    def add(msg: UserMessage, reason: str, likely: Optional[str], conf: Optional[float]) -> None:
        text = mask_personal(" ".join(msg.text.split()))
        if not text or text.startswith("/") or not norm(text) or norm(text) in known:
            return
        if _ignore_hash(text) in ignored:
            return
        lang = msg.parse.get("language") or _detect_language(text)
        key = (lang, norm(text))
        item = items.setdefault(key, Item(text, lang, likely, conf))
        if reason not in item.reasons:
            item.reasons.append(reason)
        if conf is not None and (item.confidence is None or conf < item.confidence):
            item.confidence = conf
        item.count += 1
        senders[key].add(msg.sender_id)
        item.conversations = len(senders[key])

    previous: Dict[str, UserMessage] = {}
    for msg in messages:
        reason = _why_unsure(msg.parse, below)
        if reason:
            likely, conf = _likely_intent(msg.parse)
            add(msg, reason, likely, (msg.parse.get("intent") or {}).get("confidence"))
            if reason == "asked for a person" and msg.sender_id in previous:
                before = previous[msg.sender_id]
                b_likely, b_conf = _likely_intent(before.parse)
                add(before, "came just before a request for a person", b_likely, b_conf)
        if signals and msg.sender_id in previous:
            before = previous[msg.sender_id]
            b_likely, b_conf = _likely_intent(before.parse)
            intent = (msg.parse.get("intent") or {}).get("name")
            if intent in CORRECTION_INTENTS and b_likely not in ANSWER_INTENTS:
                add(before, "the user said no right after the answer", b_likely, b_conf)
            if _repeats(msg.text, before.text):
                likely, conf = _likely_intent(msg.parse)
                add(msg, "the user repeated it", likely, (msg.parse.get("intent") or {}).get("confidence"))
        previous[msg.sender_id] = msg
    order = {l: i for i, l in enumerate(LANGS)}
    return sorted(items.values(), key=lambda it: (order.get(it.lang, 9), it.likely or "~", -it.count, it.text))


def format_queue(items: List[Item]) -> str:
    if not items:
        return "Nothing to review: no uncertain messages that are not already in the data."
    lines = [f"{len(items)} message(s) to review, by language and by the intent the bot leaned to:"]
    number = 0
    by_lang: Dict[Optional[str], Dict[Optional[str], List[Item]]] = defaultdict(lambda: defaultdict(list))
    for it in items:
        by_lang[it.lang][it.likely].append(it)
    for lang, groups in by_lang.items():
        n = sum(len(v) for v in groups.values())
        lines.append(f"\n== {LANGUAGE_NAMES.get(lang, 'language unknown')} ({lang or '?'}): {n} ==")
        for likely, its in groups.items():
            lines.append(f"  likely {likely or '(no idea)'}:")
            for it in its:
                number += 1
                conf = f", confidence {it.confidence:.2f}" if it.confidence is not None else ""
                seen = f", {it.count}x in {it.conversations} conversation(s)" if it.count > 1 else ""
                lines.append(f"    [{number}] \"{it.text}\"  ({'; '.join(it.reasons)}{conf}{seen})")
    return "\n".join(lines)


# -- decisions ------------------------------------------------------------------------------------

@dataclass
class Decision:
    text: str
    intent: Optional[str] = None
    new_intent: Optional[str] = None
    ignore: bool = False
    lang: Optional[str] = None


@dataclass
class Applied:
    added: List[str] = field(default_factory=list)       # "ms/ask_baby_bonus: text"
    new_intents: List[str] = field(default_factory=list)
    ignored: int = 0
    undecided: int = 0
    problems: List[str] = field(default_factory=list)


def read_decisions(path: Path) -> List[Decision]:
    from moments.trainer.project import yaml_error

    if not path.exists():
        raise ValueError(f"there is no file {path}; make review TEMPLATE={path} writes one to fill in")
    broken = yaml_error(path, Path.cwd())
    if broken:
        raise broken
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(doc, dict):
        doc = doc.get("decisions") or []
    out = []
    for entry in doc:
        if not isinstance(entry, dict) or not entry.get("text"):
            continue
        text_or_none = lambda v: str(v).strip() or None if v not in (None, "") else None  # noqa: E731
        out.append(Decision(text=str(entry["text"]), intent=text_or_none(entry.get("intent")),
                            new_intent=text_or_none(entry.get("new_intent")), ignore=entry.get("ignore") is True,
                            lang=text_or_none(entry.get("lang"))))
    return out


def write_template(path: Path, items: List[Item]) -> None:
    """A decisions file with every message and EMPTY decisions: the bot's guess is a comment, never a decision
    (applied unedited, the file adds nothing)."""
    lines = ["# Review decisions. For each message fill in ONE of the three lines (leave all empty to decide later):",
             "#   intent: <existing intent>      new_intent: <new_name>      ignore: true",
             "# The bot's guess is only a comment: copy it to intent: if it is right.",
             "# Then: make review DECISIONS=<this file>", ""]
    for it in items:
        lines.append(f"- text: {json.dumps(it.text, ensure_ascii=False)}")
        lines.append(f"  lang: {it.lang or ''}   # {LANGUAGE_NAMES.get(it.lang, 'unknown: write en, zh, ms or ta')}")
        guess = f"the bot guessed {it.likely}" if it.likely else "the bot had no guess"
        lines.append(f"  # {guess} ({'; '.join(it.reasons)})")
        lines.append("  intent:")
        lines.append("  new_intent:")
        lines.append("  ignore:")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def apply_decisions(project: Project, items: List[Item], decisions: List[Decision],
                    out: TextIO = sys.stdout) -> Applied:
    from moments.trainer.scaffold import TrainerError, add_examples, add_intent

    by_key = {it.key: it for it in items}
    result = Applied()
    to_ignore = []
    for d in decisions:
        text = mask_personal(" ".join(d.text.split()))
        item = by_key.get(norm(text))
        lang = d.lang if d.lang in LANGS else (item.lang if item else None)
        if d.ignore:
            to_ignore.append(text)
            result.ignored += 1
            continue
        target = d.new_intent or d.intent
        if not target:
            result.undecided += 1
            continue
        if lang not in LANGS:
            result.problems.append(f"'{text}': say which language it is in (lang: en, zh, ms or ta)")
            continue
        try:
            if d.new_intent and d.new_intent not in (project.domain().get("intents") or []):
                add_intent(project, d.new_intent)
                result.new_intents.append(d.new_intent)
            r = add_examples(project, target, lang, [text])
        except TrainerError as e:
            result.problems.append(f"'{text}': {e}")
            continue
        if r.edit.added:
            result.added.append(f"{lang}/{target}: {text}")
        for ex, why in r.refused.items():
            result.problems.append(f"'{ex}': not added, {why}")
    if to_ignore:
        remember_ignored(project, to_ignore)
    return result


def describe_applied(project: Project, r: Applied) -> str:
    lines = [f"Added {len(r.added)} example(s) to the training data:"] + [f"  + {a}" for a in r.added]
    if r.new_intents:
        lines.append(f"Created new intent(s): {', '.join(r.new_intents)} — finish them (examples in every "
                     "language, the answers in domain/<name>.yml), see TRAINING.md.")
    if r.ignored:
        lines.append(f"Ignored {r.ignored} message(s); they will not be shown again.")
    if r.undecided:
        lines.append(f"Left {r.undecided} message(s) undecided (no intent:, new_intent: or ignore: filled in); "
                     "they come back in the next make review.")
    for p in r.problems:
        lines.append(f"  ! {p}")
    if r.added:
        lines.append("Next: make validate, then train and evaluate.")
    return "\n".join(lines)


def interactive(project: Project, items: List[Item], ask: Callable[[str], str] = input,
                out: TextIO = sys.stdout) -> List[Decision]:
    """Asks about each message in turn; returns the decisions (applied by the caller)."""
    intents = sorted(project.domain().get("intents") or [])
    decisions: List[Decision] = []
    out.write(format_queue(items) + "\n\n")
    out.write("For each message: Enter = the likely intent, or type an intent name (or its number from '?'),\n"
              "'n NAME' = a new intent, 'i' = ignore for good, 's' = skip for now, 'q' = stop and save.\n")
    for number, it in enumerate(items, 1):
        lang = it.lang
        while True:
            prompt = (f"\n[{number}/{len(items)}] ({lang or '?'}) \"{it.text}\"\n"
                      f"   intent [{it.likely or 'none'}]: ")
            answer = ask(prompt).strip()
            if answer == "q":
                return decisions
            if answer == "s":
                break
            if answer == "i":
                decisions.append(Decision(it.text, ignore=True, lang=lang))
                break
            if answer == "?":
                out.write("  " + "  ".join(f"{i}:{name}" for i, name in enumerate(intents, 1)) + "\n")
                continue
            if lang not in LANGS:
                lang_answer = ask("   which language is it (en/zh/ms/ta)? ").strip()
                if lang_answer in LANGS:
                    lang = lang_answer
                else:
                    continue
            if answer.startswith("n "):
                decisions.append(Decision(it.text, new_intent=answer[2:].strip(), lang=lang))
                break
            if answer == "" and it.likely:
                decisions.append(Decision(it.text, intent=it.likely, lang=lang))
                break
            if answer.isdigit() and 1 <= int(answer) <= len(intents):
                answer = intents[int(answer) - 1]
            if answer in intents:
                decisions.append(Decision(it.text, intent=answer, lang=lang))
                break
            out.write(f"  '{answer}' is not an intent; '?' lists them, 'n NAME' makes a new one.\n")
    return decisions
