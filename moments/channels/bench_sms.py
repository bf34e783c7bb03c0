"""`make bench-sms`: what the five journeys cost a grandparent who texts, in the four languages.

Starts a real stack (agency services, action server, Rasa with credentials.yml, so the SMS webhook is live;
moments/evaluation/stack.py) and, for one seeded mother per language, texts the webhook exactly as Twilio
does (signed, moments.channels.simulator.SmsPhone) using digits and short words only:

  1 greet       "hi" in her language                       -> the main menu
  2 register    "1" on the main menu, then the form         -> the birth is registered
  3 baby bonus  "2" (how much?) on the offer after it, "1" (apply), the form -> the application is submitted
  4 vaccination a short word ("vaccination"), "book", the form, "my appointments", cancel -> cancelled
  5 status      a short word ("status")                      -> the list of applications

Inside a journey the bot's question decides the answer (ANSWERS: "1" on a menu, a postal code, a bank account
number, the date of birth in digits, …), so a changed wording does not break the benchmark, and a question it
has no answer for ends the journey as not completed. Prints journey x language -> user messages, SMS segments,
the longest reply (segments) and completed yes/no, then the issue's targets:

  every journey completed in every language; no reply over 4 segments; five journeys <= 40 segments in English
  and Malay, <= 60 in Chinese and Tamil; Tamil <= 1.5 x English.

    .venv/bin/python -m moments.channels.bench_sms --model /tmp/me/m.tar.gz [--verbose] [--json out.json]

A benchmark, not a test: it exits 0 even when a target is missed (it says so).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from moments.agencies.seed import PEOPLE
from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.segments import encoding_of, units
from moments.channels.simulator import SmsPhone

LANGS = ("en", "zh", "ms", "ta")
JOURNEYS = ("greet", "register", "baby bonus", "vaccination", "status")
MAX_TURNS = 16          # per journey: more means it is going round in circles
MAX_REPLY_SEGMENTS = 4
TOTAL_TARGET = {"en": 40, "ms": 40, "zh": 60, "ta": 60}
TAMIL_VS_ENGLISH = 1.5

# One married mother per language whose baby's birth the hospital has notified (moments/agencies/seed.py).
PARENT = {"en": "lim", "zh": "tay", "ms": "aisyah", "ta": "priya"}
BABY_NAME = {"en": "Tan Kai Xuan", "zh": "Goh Jia Le", "ms": "Nur Hana", "ta": "Diya"}

# The short words a texter types, in her language.
WORDS = {
    "greet": {"en": "hi", "zh": "你好", "ms": "selamat pagi", "ta": "வணக்கம்"},
    "vaccination": {"en": "vaccination", "zh": "疫苗", "ms": "vaksin bayi", "ta": "தடுப்பூசி"},
    "book": {"en": "book", "zh": "预约", "ms": "buat temujanji", "ta": "முன்பதிவு செய்ய"},
    "list": {"en": "my appointments", "zh": "我的预约", "ms": "temujanji saya", "ta": "என் அப்பாயிண்ட்மென்ட்கள்"},
    "cancel": {"en": "cancel appointment", "zh": "取消预约", "ms": "batal temujanji",
               "ta": "அப்பாயிண்ட்மென்ட்டை ரத்து செய்"},
    "status": {"en": "status", "zh": "申请状态", "ms": "status permohonan", "ta": "விண்ணப்ப நிலை"},
    "tomorrow": {"en": "tomorrow", "zh": "明天", "ms": "esok", "ta": "நாளை"},
}


@dataclass
class Texter:
    lang: str
    key: str
    dob_digits: str

    @classmethod
    def of(cls, lang: str) -> "Texter":
        p = next(p for p in PEOPLE if p.key == PARENT[lang])
        return cls(lang, p.key, p.born.strftime("%d%m%Y"))  # type: ignore[union-attr]


# The answer to each question the journeys ask (by the response's name); "1" picks the first option of a menu.
def answers(t: Texter) -> Dict[str, str]:
    return {
        "utter_ask_myinfo_consent": "1",
        "utter_ask_birth_notification": "1",
        "utter_ask_birth_child_name": BABY_NAME[t.lang],
        "utter_ask_birth_ethnic_name": "1",
        "utter_ask_birth_dialects": "1",
        "utter_ask_sms_identity_confirmed": t.dob_digits,
        "utter_birth_registration_summary": "1",
        "utter_ask_bb_child": "1",
        "utter_ask_bb_bank": "1",
        "utter_ask_bb_account": "987654321",
        "utter_ask_bb_trustee": "1",
        "utter_baby_bonus_summary": "1",
        "utter_ask_vaccination_child": "1",
        "utter_ask_appointment_child": "1",
        "utter_ask_appointment_service": "1",
        "utter_ask_appointment_clinic": "560123",
        "utter_ask_appointment_clinic_nearby": "1",
        "utter_ask_appointment_clinic_which": "1",
        "utter_ask_appointment_clinic_suggested": "1",
        "utter_ask_appointment_date": WORDS["tomorrow"][t.lang],
        "utter_ask_appointment_slot": "1",
        "utter_ask_book_appointment_confirm": "1",
        "utter_ask_appointment_pick_to_cancel": "1",
        "utter_ask_cancel_confirm": "1",
        "utter_no_upcoming_appointments": "1",   # its menu: 1. Book
    }


@dataclass
class Step:
    """Send `first` (a fixed message, or one chosen from the responses seen so far), then answer the questions
    until one of `goal` is among the responses."""

    first: Callable[[List[str]], str]
    goal: Tuple[str, ...]


def journeys(t: Texter) -> Dict[str, List[Step]]:
    w = {k: v[t.lang] for k, v in WORDS.items()}

    def fixed(text: str) -> Callable[[List[str]], str]:
        return lambda _seen: text

    def book(seen: List[str]) -> str:  # the offer's menu when there is one, else the word
        return "1" if seen and seen[-1] == "utter_vaccinations_offer_booking" else w["book"]

    def cancel(seen: List[str]) -> str:  # the list's numbered next step ("2. Cancel") if it offers one
        return "2" if seen and seen[-1] == "utter_appointments_list" and LAST_REPLY.get(t.lang, "").count("\n2. ") \
            else w["cancel"]

    return {
        "greet": [Step(fixed(w["greet"]), ("utter_help",))],
        "register": [Step(fixed("1"), ("utter_birth_registered",))],
        "baby bonus": [Step(fixed("2"), ("utter_baby_bonus_info", "utter_baby_bonus_family_current",
                                         "utter_baby_bonus_family_previous")),
                       Step(fixed("1"), ("utter_baby_bonus_submitted",))],
        "vaccination": [Step(fixed(w["vaccination"]), ("utter_vaccinations_due", "utter_vaccinations_overdue",
                                                        "utter_vaccinations_up_to_date", "utter_vaccination_info")),
                        Step(book, ("utter_appointment_booked",)),
                        Step(fixed(w["list"]), ("utter_appointments_list",)),
                        Step(cancel, ("utter_appointment_cancelled",))],
        "status": [Step(fixed(w["status"]), ("utter_status_list",))],
    }


LAST_REPLY: Dict[str, str] = {}  # language -> the last reply's text (what the texter reads before choosing)


@dataclass
class Result:
    journey: str
    lang: str
    messages: int = 0
    segments: int = 0
    longest: int = 0
    completed: bool = False
    why: str = ""
    transcript: List[Tuple[str, List[str], List[str]]] = field(default_factory=list)


class Conversation:
    def __init__(self, stack, texter: Texter):
        self.stack = stack
        self.texter = texter
        phone = next(p for p in PEOPLE if p.key == texter.key).mobile
        self.phone = SmsPhone(stack.urls["rasa"] + WEBHOOK_PATH, phone, token=stack.secrets["TWILIO_AUTH_TOKEN"])
        self.cid = conversation_id_for(phone, stack.secrets["SMS_CONVERSATION_KEY"])

    def responses(self) -> List[str]:
        events = self.stack.api("GET", f"/conversations/{self.cid}/tracker").json()["events"]
        names: List[str] = []
        for e in reversed(events):
            if e["event"] == "user":
                break
            if e["event"] == "bot":
                names.append((e.get("metadata") or {}).get("utter_action") or "?")
        return list(reversed(names))

    def send(self, text: str, result: Result) -> List[str]:
        reply = self.phone.send(text)
        names = self.responses()
        result.messages += 1
        result.segments += len(reply.messages)
        result.longest = max(result.longest, len(reply.messages))
        result.transcript.append((text, reply.messages, names))
        LAST_REPLY[self.texter.lang] = "\n" + "\n".join(reply.messages)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {reply.text[:200]}")
        return names


def play(stack, lang: str) -> List[Result]:
    texter = Texter.of(lang)
    conv = Conversation(stack, texter)
    reply_to = answers(texter)
    results = []
    for name, steps in journeys(texter).items():
        result = Result(name, lang)
        seen: List[str] = []
        try:
            for step in steps:
                names = conv.send(step.first(seen), result)
                seen += names
                turns = 1
                while not any(g in names for g in step.goal):
                    question = next((n for n in reversed(names) if n in reply_to), None)
                    if question is None or turns >= MAX_TURNS:
                        raise LookupError(f"no answer to {names}" if question is None else "too many turns")
                    names = conv.send(reply_to[question], result)
                    seen += names
                    turns += 1
            result.completed = True
        except (LookupError, RuntimeError) as e:
            result.why = str(e)
        results.append(result)
    return results


def table(results: Sequence[Result]) -> str:
    by = {(r.journey, r.lang): r for r in results}
    head = "| journey | " + " | ".join(LANGS) + " |"
    lines = [head, "|---|" + "---|" * len(LANGS)]
    for j in JOURNEYS:
        cells = []
        for lang in LANGS:
            r = by.get((j, lang))
            cells.append("–" if r is None else
                         f"{r.messages} msg, {r.segments} seg, max {r.longest}{'' if r.completed else ', NOT done'}")
        lines.append(f"| {j} | " + " | ".join(cells) + " |")
    totals = []
    for lang in LANGS:
        rs = [r for r in results if r.lang == lang]
        totals.append(f"**{sum(r.messages for r in rs)} msg, {sum(r.segments for r in rs)} seg, "
                      f"max {max((r.longest for r in rs), default=0)}**")
    lines.append("| all five | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def targets(results: Sequence[Result]) -> List[Tuple[str, str, bool]]:
    total = {lang: sum(r.segments for r in results if r.lang == lang) for lang in LANGS}
    not_done = [f"{r.journey}/{r.lang}" for r in results if not r.completed]
    longest = max(results, key=lambda r: r.longest)
    rows = [("every journey completed in every language", ", ".join(not_done) or "all 20", not not_done),
            (f"no reply over {MAX_REPLY_SEGMENTS} segments", f"longest {longest.longest} ({longest.journey}/"
             f"{longest.lang})", longest.longest <= MAX_REPLY_SEGMENTS)]
    for lang in LANGS:
        rows.append((f"five journeys <= {TOTAL_TARGET[lang]} segments in {lang}", str(total[lang]),
                     total[lang] <= TOTAL_TARGET[lang]))
    ratio = total["ta"] / max(total["en"], 1)
    rows.append((f"Tamil <= {TAMIL_VS_ENGLISH} x English", f"{ratio:.2f} x", ratio <= TAMIL_VS_ENGLISH))
    return rows


def transcript(results: Sequence[Result]) -> str:
    out = []
    for r in results:
        out.append(f"\n=== {r.journey} / {r.lang}: {'completed' if r.completed else 'NOT completed: ' + r.why}")
        for text, messages, names in r.transcript:
            out.append(f"you › {text}    -> {len(messages)} SMS {names}")
            for m in messages:
                out.append(f"   [{encoding_of(m)} {units(m)}] {m}")
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from moments.evaluation.stack import ROOT, Stack

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "moments.tar.gz"))
    ap.add_argument("--lang", action="append", choices=LANGS, help="only these languages (repeatable)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every SMS")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    langs = args.lang or list(LANGS)

    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        stack = Stack(Path(tmp))
        stack.env.update({"SMS_PUBLIC_URL": "", "SMS_STORE_URL": ""})
        started = time.monotonic()
        try:
            stack.start_assistant(Path(args.model), credentials=ROOT / "credentials.yml")
            print(f"stack up in {time.monotonic() - started:.0f} s (model {args.model})", file=sys.stderr)
            results: List[Result] = []
            for lang in langs:
                results += play(stack, lang)
        finally:
            stack.stop()
    if args.verbose:
        print(transcript(results))
    print()
    print(table(results))
    print()
    print("| target | measured | met |\n|---|---|---|")
    for what, measured, met in targets(results):
        print(f"| {what} | {measured} | {'yes' if met else '**no**'} |")
    for r in results:
        if not r.completed:
            print(f"not completed: {r.journey}/{r.lang}: {r.why}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
