"""How journeys go, from the tracker store: per journey x language x channel, and per day.

A journey is one activation of its form (the `active_loop` event naming it) until the form stops: another form or
`active_loop: null`, a new session, or the end of what is stored. It is

- completed when the form's submit stored the agency's answer (the result slot set to a value while it was active:
  `birth_registration_result`, `bb_result`, `appointment_result`), timed from the activation to that slot event,
  counting the user's messages from the one that started it;
- in progress when it is still active and its last event is younger than IDLE (30 minutes);
- abandoned otherwise, at the step that was being asked (the last `requested_slot` while it was active).

Per journey it also counts the user's messages the NLU fell back on (nlu_fallback), whether a person was asked for
(`action_human_handoff` or the human_handoff intent) and the agency errors the bot told the user about (the
utter_agency_* responses). The language is the conversation's `language` slot when the journey started (else the
language the NLU detected); the channel is the input channel of the user's messages (web = socketio).

Only columns Rasa's SQL store keeps outside `data` and a few JSON fields of `data` are read (the dialect's own JSON
functions, SQLite json_extract or PostgreSQL ->>), streamed in conversation order: nothing is decrypted, and the
masked message texts are never read. Days are Singapore days (UTC+8).
"""
from __future__ import annotations

import csv
import io
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

SGT = timezone(timedelta(hours=8))
IDLE = 30 * 60  # seconds without an event after which an unfinished journey counts as abandoned


@dataclass(frozen=True)
class Journey:
    name: str
    label: str
    form: str
    result_slot: str


JOURNEYS: Tuple[Journey, ...] = (
    Journey("birth_registration", "Birth registration", "birth_registration_form", "birth_registration_result"),
    Journey("baby_bonus", "Baby Bonus application", "baby_bonus_form", "bb_result"),
    Journey("book_appointment", "Book a vaccination", "book_appointment_form", "appointment_result"),
    Journey("reschedule_appointment", "Reschedule an appointment", "reschedule_appointment_form", "appointment_result"),
    Journey("cancel_appointment", "Cancel an appointment", "cancel_appointment_form", "appointment_result"),
)
BY_FORM = {j.form: j for j in JOURNEYS}
BY_NAME = {j.name: j for j in JOURNEYS}
RESULT_SLOTS = sorted({j.result_slot for j in JOURNEYS})
CHANNELS = {"socketio": "web", "sms": "sms", "rest": "rest"}
HANDOFF_ACTION = "action_human_handoff"
HANDOFF_INTENT = "human_handoff"
FALLBACK_INTENT = "nlu_fallback"
AGENCY_ERROR_PREFIX = "utter_agency_"
NO_STEP = "(before the first question)"


# -- reading ----------------------------------------------------------------------------------------------------

def _json(dialect: str, path: str) -> str:
    """SQL reading one JSON field of the `data` column ('a.b' -> $.a.b)."""
    if dialect == "postgresql":
        parts = path.split(".")
        expr = "CAST(data AS json)"
        for p in parts[:-1]:
            expr += f"->'{p}'"
        return f"({expr}->>'{parts[-1]}')"
    return f"json_extract(data, '$.{path}')"


def events_sql(dialect: str, since: Optional[float]) -> str:
    slots = ", ".join(f"'{s}'" for s in ["requested_slot", "language", *RESULT_SLOTS])
    j = lambda p: _json(dialect, p)  # noqa: E731
    placeholder = "%(since)s" if dialect == "postgresql" else ":since"  # the DB-API driver's own parameter style
    where_since = f"AND timestamp >= {placeholder}" if since is not None else ""
    # no '%' in the text: psycopg2 would read it as a parameter
    contains = (f"POSITION('{AGENCY_ERROR_PREFIX}' IN data) > 0" if dialect == "postgresql"
                else f"instr(data, '{AGENCY_ERROR_PREFIX}') > 0")
    return f"""
SELECT sender_id, type_name, timestamp, intent_name, action_name,
  CASE WHEN type_name = 'user' THEN {j('input_channel')}
       WHEN type_name = 'slot' THEN {j('value')}
       WHEN type_name = 'bot' THEN {j('metadata.utter_action')} END AS a,
  CASE WHEN type_name = 'user' THEN {j('parse_data.language')} END AS b
FROM events
WHERE (type_name IN ('user', 'active_loop', 'session_started')
       OR (type_name = 'slot' AND action_name IN ({slots}))
       OR (type_name = 'bot' AND {contains})
       OR (type_name = 'action' AND action_name = '{HANDOFF_ACTION}'))
  {where_since}
ORDER BY sender_id, id
"""


Row = Tuple[str, str, float, Optional[str], Optional[str], Optional[str], Optional[str]]


def read_rows(url: str, since: Optional[float] = None, batch: int = 20000) -> Iterator[Row]:
    """The rows, through the DB-API driver's cursor (a third faster than SQLAlchemy's result rows; on PostgreSQL a
    server-side cursor, so 100,000 conversations are streamed, not loaded at once)."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url, future=True)
    try:
        if not inspect(engine).has_table("events"):
            return
        dialect = engine.dialect.name
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor(name="moments_console_analytics") if dialect == "postgresql" else raw.cursor()
            if dialect == "postgresql":
                cursor.itersize = batch
            if since is None:
                cursor.execute(events_sql(dialect, None))
            else:
                cursor.execute(events_sql(dialect, since), {"since": since})
            while True:
                rows = cursor.fetchmany(batch)
                if not rows:
                    break
                yield from rows
            cursor.close()
        finally:
            raw.close()
    finally:
        engine.dispose()


# -- one conversation's journeys ----------------------------------------------------------------------------------

@dataclass
class Run:
    journey: str
    lang: str
    channel: str
    started: float
    last: float
    turns: int = 1
    messages: int = 1
    fallbacks: int = 0
    step: Optional[str] = None
    completed: Optional[float] = None
    completed_turns: Optional[int] = None
    handoff: bool = False
    agency_errors: int = 0
    outcome: str = ""
    sender: str = ""


def journeys_of(rows: Iterable[Row], now: float) -> Iterator[Run]:
    """Every journey in rows ordered by conversation (sender_id) then time."""
    sender = None
    run: Optional[Run] = None
    lang = channel = None
    parsed_lang = None
    last_user_fallback = False
    last_user_handoff = False

    def close(r: Run, at_end: bool) -> Run:
        if r.completed is not None:
            r.outcome = "completed"
        elif at_end and now - r.last < IDLE:
            r.outcome = "in_progress"
        else:
            r.outcome = "abandoned"
        return r

    for sender_id, type_name, ts, intent, action, a, b in rows:
        ts = float(ts or 0)
        if sender_id != sender:
            if run is not None:
                yield close(run, True)
            sender, run, lang, channel, parsed_lang = sender_id, None, None, None, None
        if run is not None:
            run.last = max(run.last, ts)
        if type_name == "user":
            channel = CHANNELS.get(a or "", a or channel)
            parsed_lang = b or parsed_lang
            last_user_fallback = intent == FALLBACK_INTENT
            last_user_handoff = intent == HANDOFF_INTENT
            if run is not None:
                run.messages += 1
                if run.completed is None:
                    run.turns += 1
                run.fallbacks += last_user_fallback
                run.handoff = run.handoff or last_user_handoff
        elif type_name == "slot":
            if action == "language":
                lang = a or lang
            elif action == "requested_slot":
                if run is not None and a:
                    run.step = a
            elif run is not None and a is not None and action == BY_NAME[run.journey].result_slot:
                if run.completed is None:
                    run.completed, run.completed_turns = ts, run.turns
        elif type_name == "active_loop":
            journey = BY_FORM.get(action or "")
            if run is not None and journey is not None and journey.name == run.journey:
                continue  # the same form again (after a digression)
            if run is not None:
                yield close(run, False)
                run = None
            if journey is not None:
                run = Run(journey.name, lang or parsed_lang or "unknown", channel or "unknown", ts, ts,
                          fallbacks=int(last_user_fallback), handoff=last_user_handoff, sender=sender_id)
        elif type_name == "session_started":
            if run is not None:
                yield close(run, False)
                run = None
        elif type_name == "bot":
            if run is not None and (a or "").startswith(AGENCY_ERROR_PREFIX):
                run.agency_errors += 1
        elif type_name == "action":
            if run is not None:
                run.handoff = True
    if run is not None:
        yield close(run, True)


# -- the figures ---------------------------------------------------------------------------------------------------

def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, SGT).date().isoformat()


@dataclass
class Cell:
    """The figures of one journey x language x channel (or any coarser grouping)."""
    started: int = 0
    completed: int = 0
    abandoned: int = 0
    in_progress: int = 0
    messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    agency_errors: int = 0
    runs_with_agency_errors: int = 0
    steps: Counter = field(default_factory=Counter)
    turns: List[int] = field(default_factory=list)
    seconds: List[float] = field(default_factory=list)

    def add(self, r: Run) -> None:
        self.started += 1
        self.messages += r.messages
        self.fallbacks += r.fallbacks
        self.handoffs += r.handoff
        self.agency_errors += r.agency_errors
        self.runs_with_agency_errors += r.agency_errors > 0
        if r.outcome == "completed":
            self.completed += 1
            self.turns.append(r.completed_turns or r.turns)
            self.seconds.append((r.completed or r.started) - r.started)
        elif r.outcome == "in_progress":
            self.in_progress += 1
        else:
            self.abandoned += 1
            self.steps[r.step or NO_STEP] += 1

    def merge(self, other: "Cell") -> None:
        for name in ("started", "completed", "abandoned", "in_progress", "messages", "fallbacks", "handoffs",
                     "agency_errors", "runs_with_agency_errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.steps.update(other.steps)
        self.turns.extend(other.turns)
        self.seconds.extend(other.seconds)

    @staticmethod
    def _rate(n: int, d: int) -> Optional[float]:
        return n / d if d else None

    @property
    def completion_rate(self) -> Optional[float]:
        """Completed among the journeys that ended (completed or abandoned); in progress ones are left out."""
        return self._rate(self.completed, self.completed + self.abandoned)

    @property
    def fallback_rate(self) -> Optional[float]:
        return self._rate(self.fallbacks, self.messages)

    @property
    def handoff_rate(self) -> Optional[float]:
        return self._rate(self.handoffs, self.started)

    @property
    def median_turns(self) -> Optional[float]:
        return statistics.median(self.turns) if self.turns else None

    @property
    def median_seconds(self) -> Optional[float]:
        return statistics.median(self.seconds) if self.seconds else None


Key = Tuple[str, str, str]  # journey, language, channel


@dataclass
class Analytics:
    cells: Dict[Key, Cell]
    days: Dict[Tuple[str, str, str, str], Cell]  # (day, journey, language, channel)
    conversations: int
    runs: int
    since: Optional[str] = None
    until: Optional[str] = None
    seconds: float = 0.0

    def total(self, journey: Optional[str] = None, lang: Optional[str] = None, channel: Optional[str] = None) -> Cell:
        out = Cell()
        for (j, la, ch), cell in self.cells.items():
            if (journey in (None, j)) and (lang in (None, la)) and (channel in (None, ch)):
                out.merge(cell)
        return out

    def by(self, *parts: str) -> Dict[tuple, Cell]:
        """Cells merged by some of journey / lang / channel, e.g. by('journey', 'lang')."""
        index = {"journey": 0, "lang": 1, "channel": 2}
        out: Dict[tuple, Cell] = defaultdict(Cell)
        for key, cell in self.cells.items():
            out[tuple(key[index[p]] for p in parts)].merge(cell)
        return dict(out)

    def daily(self, journey: Optional[str] = None, lang: Optional[str] = None,
              channel: Optional[str] = None) -> Dict[str, Cell]:
        out: Dict[str, Cell] = defaultdict(Cell)
        for (day, j, la, ch), cell in self.days.items():
            if (journey in (None, j)) and (lang in (None, la)) and (channel in (None, ch)):
                out[day].merge(cell)
        return dict(sorted(out.items()))

    @property
    def languages(self) -> List[str]:
        order = {"en": 0, "zh": 1, "ms": 2, "ta": 3}
        return sorted({k[1] for k in self.cells}, key=lambda x: (order.get(x, 9), x))

    @property
    def channels(self) -> List[str]:
        return sorted({k[2] for k in self.cells})


def compute(rows: Iterable[Row], now: Optional[float] = None, since: Optional[str] = None,
            until: Optional[str] = None) -> Analytics:
    """since/until: Singapore days (YYYY-MM-DD, both included) the journeys started on; None: no bound."""
    started = time.perf_counter()
    now = time.time() if now is None else now
    cells: Dict[Key, Cell] = defaultdict(Cell)
    days: Dict[Tuple[str, str, str, str], Cell] = defaultdict(Cell)
    senders = set()
    runs = 0
    for r in journeys_of(_count_senders(rows, senders), now):
        day = day_of(r.started)
        if (since and day < since) or (until and day > until):
            continue
        runs += 1
        cells[(r.journey, r.lang, r.channel)].add(r)
        days[(day, r.journey, r.lang, r.channel)].add(r)
    return Analytics(dict(cells), dict(days), len(senders), runs, since, until, time.perf_counter() - started)


def _count_senders(rows: Iterable[Row], senders: set) -> Iterator[Row]:
    last = None
    for row in rows:
        if row[0] != last:
            last = row[0]
            senders.add(last)
        yield row


def start_of_day(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=SGT).timestamp()


def from_store(url: str, since: Optional[str] = None, until: Optional[str] = None,
               now: Optional[float] = None) -> Analytics:
    """The figures of journeys started between the Singapore days since and until (included). Events from a day
    before `since` are read too, so a journey started just before midnight has its beginning."""
    read_since = start_of_day(since) - 86400 if since else None
    return compute(read_rows(url, read_since), now=now, since=since, until=until)


def this_week(today: Optional[str] = None) -> Tuple[str, str]:
    """Monday .. today (Singapore)."""
    d = datetime.fromisoformat(today).date() if today else datetime.now(SGT).date()
    return (d - timedelta(days=d.weekday())).isoformat(), d.isoformat()


# -- CSV ------------------------------------------------------------------------------------------------------------

CSV_COLUMNS = ["journey", "language", "channel", "started", "completed", "abandoned", "in_progress",
               "completion_rate", "median_turns", "median_seconds_to_complete", "fallback_rate", "handoff_rate",
               "agency_errors", "journeys_with_agency_errors", "abandoned_at"]


def _fmt(value: Optional[float], digits: int = 4) -> str:
    return "" if value is None else (str(round(value, digits)) if isinstance(value, float) else str(value))


def cells_csv(a: Analytics) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for (j, la, ch), c in sorted(a.cells.items()):
        w.writerow([j, la, ch, c.started, c.completed, c.abandoned, c.in_progress, _fmt(c.completion_rate),
                    _fmt(c.median_turns), _fmt(c.median_seconds, 1), _fmt(c.fallback_rate), _fmt(c.handoff_rate),
                    c.agency_errors, c.runs_with_agency_errors,
                    "; ".join(f"{s}={n}" for s, n in c.steps.most_common())])
    return buf.getvalue()


def days_csv(a: Analytics) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["day", "journey", "language", "channel", "started", "completed", "abandoned", "in_progress",
                "completion_rate"])
    for (day, j, la, ch), c in sorted(a.days.items()):
        w.writerow([day, j, la, ch, c.started, c.completed, c.abandoned, c.in_progress, _fmt(c.completion_rate)])
    return buf.getvalue()
