"""What parents really type (issue 13): an independent end-to-end table, scenario × language × two voices.

The phrasings are in tests/e2e/parents_type.yml, written from outside the team (not from data/, tests/nlu/ or the
README). Everything runs against the real stack of the e2e suite (agency services, action server, Rasa over REST,
the SMS webhook for s10), and every case asserts what the bot answered AND, for writes, what the agency then holds.

Only the scenario's own turn is the parent's free text; the turns that get there are the bot's buttons or the plain
answers the other e2e tests already use, so a red case is the scenario's bug, not the set-up's (a set-up that goes
wrong says "set-up:" in its message).

Run time: the conversations are independent, so the module runs them all at once (WORKERS threads) in one
module-scoped fixture, then each test reads its own outcome. Selecting a few tests (-k) runs only those.
Families (moments/agencies/seed.py), chosen so that concurrent cases never write to the same thing:
  birth registration (s1, s2, s4, s7): each case a newborn of its own from the hospital feed, for families no other
    scenario uses (Tan/Lim, Chen/Wong, Daniel/Maria, Zhang/Liu, Lee/Anitha, Nurul);
  bookings (s5 on REST, next Monday; s10 by SMS, next Tuesday): each case its own clinic and (child, service);
  s3, s6, s8, s9 write nothing (they stop at the question the scenario is about).
After the cases, test_no_agency_record_differs_from_what_the_parent_meant audits every ICA registration, Health
appointment and MSF application the cases touched against what each parent meant (issue 13's "zero records at any
agency that differ from what the parent meant").
A case that fails is listed in XFAIL below with what goes wrong (none is, on 4 Dec).
Measured on the shared 2-core machine: 82 tests in about 2 minutes, its own servers' start included.
"""
from __future__ import annotations

import re
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

import pytest
import yaml

from moments.agencies.seed import CLINICS, PEOPLE
from moments.agency_client.client import Agencies
from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.simulator import SmsPhone
from testkit import Chat, logged_in, notify_birth, running_servers, texts, written_in

pytestmark = pytest.mark.slow

PHRASINGS = yaml.safe_load((Path(__file__).with_name("parents_type.yml")).read_text(encoding="utf-8"))
WORKERS = 6
NRIC = {p.key: p.nric for p in PEOPLE}
NAME = {p.key: p.name for p in PEOPLE}
PERSON = {p.key: p for p in PEOPLE}
REFERENCE = re.compile(r"AP-[0-9A-Z]{8}")
CLINIC = {c[0]: dict(zip(("en", "zh", "ms", "ta"), c[1:5])) for c in CLINICS}

# -- plain set-up answers, per language (the ones the other e2e tests use) ------------------------------------------
YES = {"en": "yes", "zh": "好的", "ms": "ya", "ta": "ஆம்"}
SKIP = {"en": "skip", "zh": "跳过", "ms": "langkau", "ta": "தவிர்"}
REGISTER_BIRTH = {"en": "I want to register my baby's birth", "zh": "我想给宝宝办出生登记",
                  "ms": "saya nak daftar kelahiran anak saya", "ta": "என் குழந்தையின் பிறப்பை பதிவு செய்ய வேண்டும்"}
MONDAY = {"en": "next Monday", "zh": "下个星期一", "ms": "Isnin depan", "ta": "அடுத்த திங்கள்"}
TUESDAY = {"en": "next Tuesday", "zh": "下个星期二", "ms": "Selasa depan", "ta": "அடுத்த செவ்வாய்"}
BOOK = {  # a booking request naming the child and the service
    "en": {"vaccination": "book a vaccination for {child}", "developmental_screening":
           "book a developmental screening for {child}"},
    "zh": {"vaccination": "我要帮 {child} 预约打疫苗", "developmental_screening": "我要帮 {child} 预约发育检查"},
    "ms": {"vaccination": "saya nak book vaksin untuk {child}", "developmental_screening":
           "saya nak book saringan perkembangan untuk {child}"},
    "ta": {"vaccination": "{child}-க்கு தடுப்பூசி போட அப்பாயிண்ட்மென்ட் வேண்டும்", "developmental_screening":
           "{child}-க்கு வளர்ச்சிப் பரிசோதனை அப்பாயிண்ட்மென்ட் வேண்டும்"},
}
BOOK_ANY_CHILD = {"en": "I'd like to book a vaccination", "zh": "我要预约打疫苗", "ms": "saya nak book vaksin",
                  "ta": "தடுப்பூசி போட அப்பாயிண்ட்மென்ட் வேண்டும்"}
ASK_BABY_BONUS = {"en": "how much baby bonus will {child} get?", "zh": "{child}的婴儿花红有多少钱？",
                  "ms": "berapa bonus bayi untuk {child}?", "ta": "{child}-க்கு பேபி போனஸ் எவ்வளவு கிடைக்கும்?"}
FIRST_NAME = {"irfan": "Irfan", "yu-xuan": "Yu Xuan", "rui-en": "Rui En", "ayden": "Ayden", "iman": "Iman",
              "adam": "Adam", "alya": "Alya", "arjun": "Arjun", "kavya": "Kavya"}

# -- who does what (see the module docstring) -----------------------------------------------------------------------
# birth registration: (logged-in parent, mother, father, the name first typed)
BIRTH_FAMILY = {
    "en": [("tan", "lim", "tan", "Tan Kai Xuan"), ("daniel", "maria", "daniel", "Gabriel de Souza")],
    "zh": [("chen", "wong", "chen", "Chen Jun Hao"), ("zhang", "liu", "zhang", "Zhang Xin Yi")],
    "ms": [("nurul", "nurul", None, "Nur Iman binte Osman"), ("nurul", "nurul", None, "Nur Ain binte Osman")],
    "ta": [("anitha", "anitha", "lee", "Vikram Raj"), ("lee", "anitha", "lee", "Kavya Lee")],
}
BIRTH_INITIAL_NAME = {lang: [f[3] for f in fams] for lang, fams in BIRTH_FAMILY.items()}
# s3: who starts which journey (nothing is written)
GREETING_PARENT = {"baby_bonus_form": "faizal", "birth_registration_form": "tan"}
# s5 (REST, next Monday): (parent, child, service, clinic) per case
S5 = {
    "en": [("faizal", "irfan", "vaccination", "ang-mo-kio"), ("aisyah", "irfan", "developmental_screening", "bukit-batok")],
    "zh": [("goh", "yu-xuan", "vaccination", "choa-chu-kang"), ("tay", "yu-xuan", "developmental_screening", "jurong")],
    "ms": [("ahmad", "ayden", "vaccination", "punggol"), ("farah", "iman", "vaccination", "queenstown")],
    "ta": [("ong", "rui-en", "vaccination", "tampines"), ("ahmad", "adam", "vaccination", "toa-payoh")],
}
# s6: a parent with four children; s9: (parent, the child asked about) — two children each can still join
S6_PARENT = "ahmad"
S9 = {"en": [("ahmad", "adam"), ("rajesh", "arjun")], "zh": [("farah", "alya"), ("priya", "kavya")],
      "ms": [("farah", "adam"), ("ahmad", "alya")], "ta": [("priya", "arjun"), ("rajesh", "kavya")]}
# s10 (SMS, next Tuesday): one phone per language, its two cases one after the other: (child, service, clinic)
S10_PHONE = {"en": "rajesh", "zh": "farah", "ms": "ahmad", "ta": "priya"}
S10 = {
    "en": [("arjun", "developmental_screening", "ang-mo-kio"), ("arjun", "vaccination", "bukit-batok")],
    "zh": [("alya", "developmental_screening", "choa-chu-kang"), ("alya", "vaccination", "jurong")],
    "ms": [("iman", "developmental_screening", "punggol"), ("adam", "developmental_screening", "queenstown")],
    "ta": [("kavya", "developmental_screening", "tampines"), ("kavya", "vaccination", "toa-payoh")],
}

# -- what fails today (issue 13); each flips the suite red when it starts passing ---------------------------------
# At 0d853c6 29 of the 80 cases failed here; 23 were fixed on 4 Dec in code, the last 6 (NLU phrasings) on 4 Dec
# evening: "ok / sari / baik, apply" right after an answer that offered to apply is a yes to that offer
# (data/rules/baby_bonus.yml), an `apply` concept, "tolong" / 帮我 out of the `help` concept. A case that fails
# again goes here with what goes wrong.
XFAIL: Dict[str, str] = {}


@dataclass
class Case:
    scenario: str
    lang: str
    n: int                     # 1 or 2: which of the two voices
    phrasing: dict

    @property
    def id(self) -> str:
        return f"{self.scenario.split('_')[0]}-{self.lang}-{self.n}"

    @property
    def text(self) -> str:
        return self.phrasing["text"]


CASES = [Case(scenario, lang, n, phrasing)
         for scenario, by_lang in PHRASINGS.items()
         for lang in ("en", "zh", "ms", "ta")
         for n, phrasing in enumerate(by_lang[lang], start=1)]


class SetUp(AssertionError):
    """The conversation did not get to the scenario's question: not the scenario's bug, but still a failure."""


@dataclass
class Ledger:
    """What each case's parent meant the agencies to hold, for the audit after all the cases
    (test_no_agency_record_differs_from_what_the_parent_meant)."""
    births: Dict[str, Tuple[str, Optional[str]]] = field(default_factory=dict)   # ENLB → (token, name meant | None)
    bookings: Dict[Tuple[str, str], Tuple[str, Optional[datetime]]] = field(default_factory=dict)  # (child, service)
    no_application: Set[str] = field(default_factory=set)                       # tokens: nothing submitted to MSF
    lock: threading.Lock = field(default_factory=threading.Lock)

    def birth(self, talk: "Talk", enlb: str, meant: Optional[str]) -> None:
        with self.lock:
            self.births[enlb] = (talk.chat.token, meant)

    def booking(self, token: str, child: str, service: str, meant: Optional[str]) -> None:
        with self.lock:
            self.bookings[(child, service)] = (token, datetime.fromisoformat(meant) if meant else None)

    def nothing_at_msf(self, talk: "Talk") -> None:
        with self.lock:
            self.no_application.add(talk.chat.token)


LEDGER = Ledger()


# -- one conversation, with its transcript for the failure message ---------------------------------------------------

@dataclass
class Talk:
    chat: Chat
    lang: str
    lines: List[str] = field(default_factory=list)
    replies: List[dict] = field(default_factory=list)
    names: List[str] = field(default_factory=list)
    send: Optional[Callable[[str], List[dict]]] = None

    def say(self, text: str) -> List[str]:
        self.replies = self.send(text) if self.send else self.chat.say(text)
        self.names = self.chat.last_responses()
        self.lines.append(f"  parent: {text!r}\n  bot:    {self.names} {[t[:160] for t in self.text_list()]}")
        return self.names

    def text_list(self) -> List[str]:
        return texts(self.replies)

    def text(self) -> str:
        return "\n".join(self.text_list())

    def buttons(self) -> List[dict]:
        return [b for r in self.replies for b in r.get("buttons", []) or []]

    def expect(self, *names: str, setup: bool = True) -> None:
        if self.names != list(names):
            raise (SetUp if setup else AssertionError)(
                f"{'set-up: ' if setup else ''}expected {list(names)}, the bot said {self.names}\n{self.transcript()}")

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            raise AssertionError(f"{what}\n{self.transcript()}")

    def transcript(self) -> str:
        return "\n".join(self.lines)

    def slot(self, name: str):
        return self.chat.slot(name)


def rest_talk(servers, parent: str, lang: str) -> Talk:
    return Talk(logged_in(servers, parent), lang)


def in_language(talk: Talk) -> None:
    """The reply is in the conversation's language (script for zh / ta) and the conversation kept its language."""
    talk.check(talk.slot("language") == talk.lang,
               f"the conversation switched to {talk.slot('language')!r} (the parent writes {talk.lang})")
    if talk.lang in ("zh", "ta"):
        talk.check(all(written_in(talk.lang, t) for t in talk.text_list() if t), f"a reply is not in {talk.lang}")


# -- birth registration set-up ----------------------------------------------------------------------------------------

def registrations(agency, talk: Talk, enlb: str) -> list:
    return [r for r in agency.ica.registrations(talk.chat.token) if r["enlb_number"] == enlb]


def to_the_name_question(servers, case: Case):
    parent, mother, father, _ = BIRTH_FAMILY[case.lang][case.n - 1]
    baby = notify_birth(servers, mother, father, days_ago=2 + case.n, sex="M" if case.n == 1 else "F")
    talk = rest_talk(servers, parent, case.lang)
    talk.say(REGISTER_BIRTH[case.lang])
    talk.expect("utter_ask_myinfo_consent")
    talk.say(YES[case.lang])
    talk.expect("utter_ask_birth_notification")
    if baby["enlb_number"] not in [b["payload"] for b in talk.buttons()]:
        raise SetUp(f"set-up: the new baby {baby['enlb_number']} is not among the buttons\n{talk.transcript()}")
    talk.say(baby["enlb_number"])
    talk.expect("utter_ask_birth_child_name")
    return talk, baby


def to_the_summary(servers, case: Case):
    talk, baby = to_the_name_question(servers, case)
    talk.say(BIRTH_INITIAL_NAME[case.lang][case.n - 1])
    talk.expect("utter_ask_birth_ethnic_name")
    talk.say(SKIP[case.lang])
    talk.expect("utter_ask_birth_dialects")
    talk.say(SKIP[case.lang])
    talk.expect("utter_birth_registration_summary")
    return talk, baby


def shows_name(talk: Talk, intended: str) -> bool:
    """The form holds exactly the intended name and the bot's reply shows it."""
    return talk.slot("birth_child_name") == intended and intended in talk.text()


def confirm_by_button(talk: Talk, intended: str) -> None:
    """The parent taps "Yes": once, and again only while the bot shows exactly the intended name (the summary
    again, or "is the name …?"), as a parent who reads what is shown does."""
    for _ in range(3):
        if _ and not shows_name(talk, intended):
            return
        talk.say("/affirm")
        if "utter_birth_registered" in talk.names:
            return


# -- the scenarios ----------------------------------------------------------------------------------------------------

def s1(servers, agency, case: Case) -> None:
    talk, baby = to_the_summary(servers, case)
    intended = case.phrasing["name"]
    LEDGER.birth(talk, baby["enlb_number"], intended)
    talk.say(case.text)
    shown, answered, held_name = talk.text(), talk.names, talk.slot("birth_child_name")
    understood = held_name == intended and intended in shown
    confirm_by_button(talk, intended)
    held = registrations(agency, talk, baby["enlb_number"])
    if held:
        talk.check(held[0]["child"]["name"] == intended,
                   f"ICA registered the name {held[0]['child']['name']!r}; the parent meant {intended!r}")
    talk.check(understood, f"the correction was not understood: the form holds {held_name!r} and the bot answered "
                           f"{answered} {shown[:160]!r}")
    talk.check(bool(held), "nothing registered after the correction and 'Yes'")


def s2(servers, agency, case: Case) -> None:
    talk, baby = to_the_summary(servers, case)
    intended = case.phrasing["name"]
    LEDGER.birth(talk, baby["enlb_number"], intended)
    talk.say(case.text)
    talk.check(registrations(agency, talk, baby["enlb_number"]) == [], "ICA holds a registration before any yes")
    talk.check(talk.names[-1:] == ["utter_birth_registration_summary"] and shows_name(talk, intended),
               f"the summary with {intended!r} did not come back (the form holds {talk.slot('birth_child_name')!r})")
    in_language(talk)
    talk.say("/affirm")
    talk.expect("utter_birth_registered", "utter_offer_baby_bonus", setup=False)
    [held] = registrations(agency, talk, baby["enlb_number"])
    talk.check(held["child"]["name"] == intended,
               f"ICA registered the name {held['child']['name']!r}; the parent meant {intended!r}")


def s3(servers, agency, case: Case) -> None:
    journey = case.phrasing["journey"]
    talk = rest_talk(servers, GREETING_PARENT[journey], case.lang)
    LEDGER.nothing_at_msf(talk)
    talk.say(case.text)
    active = (talk.chat.tracker().get("active_loop") or {}).get("name")
    talk.check(active == journey and "utter_ask_myinfo_consent" in talk.names,
               f"the {journey} did not start (active form {active!r})")
    in_language(talk)


def s4(servers, agency, case: Case) -> None:
    talk, baby = to_the_name_question(servers, case)
    LEDGER.birth(talk, baby["enlb_number"], None)
    talk.say(case.text)
    talk.check(case.phrasing["answer"] in talk.text() and talk.names[-1:] == ["utter_ask_birth_child_name"],
               f"expected the fee ({case.phrasing['answer']}) then the name question again")
    in_language(talk)
    talk.check(registrations(agency, talk, baby["enlb_number"]) == [], "ICA holds a registration")


def to_the_times(talk: Talk, child: str, service: str, clinic: str, day: Dict[str, str], sms_dob: str = "") -> None:
    """Answers the booking form's questions (plain answers, the child's button) until the free times are shown."""
    lang = talk.lang
    talk.say(BOOK[lang][service].format(child=FIRST_NAME[child]))
    for _ in range(8):
        asked = talk.names[-1] if talk.names else None
        if asked == "utter_ask_appointment_slot":
            return
        if asked == "utter_ask_myinfo_consent":
            talk.say(YES[lang])
        elif asked == "utter_ask_appointment_child":
            payload = next((b["payload"] for b in talk.buttons() if b["title"].startswith(NAME[child])), None)
            if payload is None:
                raise SetUp(f"set-up: {NAME[child]} is not among the children\n{talk.transcript()}")
            talk.say(payload)
        elif asked == "utter_ask_appointment_service":
            talk.say("1" if service == "vaccination" else "2")
        elif asked == "utter_ask_appointment_clinic":
            talk.say(CLINIC[clinic][lang])
        elif asked == "utter_ask_appointment_date":
            talk.say(day[lang])
        else:
            break
    raise SetUp(f"set-up: no free times were shown\n{talk.transcript()}")


def booked_reference(talk: Talk) -> str:
    found = REFERENCE.findall(talk.text())
    talk.check(bool(found), "no AP- reference in the booking reply")
    return found[0]


def s5(servers, agency, case: Case) -> None:
    parent, child, service, clinic = S5[case.lang][case.n - 1]
    talk = rest_talk(servers, parent, case.lang)
    to_the_times(talk, child, service, clinic, MONDAY)
    offered = talk.slot("appointment_offered_slots") or []
    if len(offered) < 2:
        raise SetUp(f"set-up: fewer than two times offered\n{talk.transcript()}")
    meant = offered[0] if case.phrasing["pick"] == "first" else offered[-1]
    LEDGER.booking(talk.chat.token, child, service, meant["starts_at"])
    talk.say(case.text)
    talk.expect("utter_ask_book_appointment_confirm", setup=False)
    talk.say(YES[case.lang])
    talk.expect("utter_appointment_booked", setup=False)
    appt = agency.health.appointment(talk.chat.token, booked_reference(talk))
    at, want = datetime.fromisoformat(appt["starts_at"]), datetime.fromisoformat(meant["starts_at"])
    talk.check(at == want and appt["clinic"]["id"] == clinic,
               f"the agency booked {appt['starts_at']}; the parent meant the {case.phrasing['pick']} time {want}")


def s6(servers, agency, case: Case) -> None:
    talk = rest_talk(servers, S6_PARENT, case.lang)
    talk.say(BOOK_ANY_CHILD[case.lang])
    talk.expect("utter_ask_myinfo_consent")
    talk.say(YES[case.lang])
    talk.expect("utter_ask_appointment_child")
    buttons = talk.buttons()
    pick = case.phrasing["pick"]
    meant = buttons[pick - 1 if pick > 0 else pick]["title"]
    talk.say(case.text)
    children = {c["id"]: c["name"] for c in talk.slot("appointment_children") or []}
    chosen = children.get(talk.slot("appointment_child"))
    talk.check(chosen == meant, f"the form went on with {chosen!r}; the parent meant {meant!r}")
    talk.check("utter_ask_appointment_child" not in talk.names and "utter_appointment_child_unclear" not in talk.names,
               "asked which child again")
    in_language(talk)


def s7(servers, agency, case: Case) -> None:
    talk, baby = to_the_summary(servers, case)
    LEDGER.birth(talk, baby["enlb_number"], None)
    talk.say("/correct_field")
    talk.expect("utter_ask_birth_field_to_change")
    talk.say(case.text)
    talk.check(registrations(agency, talk, baby["enlb_number"]) == [],
               "ICA registered the birth on a 'yes' to 'what would you like to change?'")
    talk.check(talk.names[-1:] in (["utter_birth_registration_summary"], ["utter_ask_birth_field_to_change"]),
               "neither the summary nor the question came back")
    in_language(talk)


def s8(servers, agency, case: Case) -> None:
    talk = rest_talk(servers, case.phrasing["parent"], case.lang)
    talk.say(case.text)
    talk.expect("utter_ask_myinfo_consent", setup=False)
    talk.say(YES[case.lang])
    children = {c["id"]: c["name"] for c in talk.slot("appointment_children") or []}
    chosen = children.get(talk.slot("appointment_child"))
    talk.check("utter_ask_appointment_child" not in talk.names, "asked which child although the message named her/him")
    talk.check(chosen == NAME[case.phrasing["child"]],
               f"the form went on with {chosen!r}; the parent named {NAME[case.phrasing['child']]!r}")
    in_language(talk)


def s9(servers, agency, case: Case) -> None:
    parent, child = S9[case.lang][case.n - 1]
    talk = rest_talk(servers, parent, case.lang)
    LEDGER.nothing_at_msf(talk)
    talk.say(ASK_BABY_BONUS[case.lang].format(child=FIRST_NAME[child]))
    talk.expect("utter_ask_bb_info_consent")
    talk.say(YES[case.lang])
    if not talk.names or not talk.names[0].startswith("utter_baby_bonus_family") or NAME[child] not in talk.text():
        raise SetUp(f"set-up: the answer was not about {NAME[child]}\n{talk.transcript()}")
    talk.say(case.text)
    talk.check("utter_ask_bb_child" not in talk.names, f"asked which child again right after the answer about {NAME[child]}")
    talk.check("baby_bonus_form" in talk.chat.last_bot_actions(), "the application did not start")
    ids = {c["name"]: c["id"] for c in agency.myinfo.person(talk.chat.token)["children"]}
    talk.check(talk.slot("bb_child") == ids[NAME[child]], f"the application is not for {NAME[child]}")
    in_language(talk)


def s10_phone(servers, agency, lang: str, cases: List[Case]) -> Dict[str, Optional[BaseException]]:
    """One phone, its cases in order: book by SMS, then ask for the appointments at once (the second case also asks
    once before booking, so a list kept from before the booking would show)."""
    person = PERSON[S10_PHONE[lang]]
    phone = SmsPhone(f"{servers.rasa_url}{WEBHOOK_PATH}", person.mobile, token=servers.env["TWILIO_AUTH_TOKEN"])
    chat = Chat(servers, sender=conversation_id_for(person.mobile, servers.env["SMS_CONVERSATION_KEY"]))
    token = agency.singpass.login(nric=person.nric)["access_token"]

    def send(body: str) -> List[dict]:
        reply = phone.send(body)
        assert reply.status == 200 and reply.messages, reply.text[:300]
        return [{"text": reply.joined()}]

    out: Dict[str, Optional[BaseException]] = {}
    for case in cases:
        child, service, clinic = S10[lang][case.n - 1]
        talk = Talk(chat, lang, send=send)
        try:
            if case.n == 2:  # the second case asks first, before booking (a list the bot could keep and show again)
                talk.say(case.text)
            to_the_times(talk, child, service, clinic, TUESDAY)
            LEDGER.booking(token, child, service, (talk.slot("appointment_offered_slots") or [{}])[0].get("starts_at"))
            talk.say("1")
            for _ in range(3):
                if talk.names[-1:] == ["utter_ask_sms_identity_confirmed"]:
                    talk.say(person.born.strftime("%d%m%Y"))
                elif talk.names[-1:] == ["utter_ask_book_appointment_confirm"]:
                    talk.say(YES[lang])
                else:
                    break
            talk.expect("utter_appointment_booked")
            reference = booked_reference(talk)
            talk.say(case.text)
            held = agency.health.appointment(token, reference)
            talk.check(held["status"] == "booked", f"the agency does not hold {reference} as booked")
            talk.check(talk.names == ["utter_appointments_list"] and reference in talk.text(),
                       f"{reference} (held by the agency) is not in the list")
            out[case.id] = None
        except BaseException as err:  # noqa: BLE001 - kept for the case's own test
            out[case.id] = err
    return out


RUN = {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "s5": s5, "s6": s6, "s7": s7, "s8": s8, "s9": s9}


# -- the table --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A stack of this module's own, freshly seeded: the cases pick seeded families and children on the premise that
    no other module has booked, registered or applied for them (the session-wide stack of conftest.py is shared)."""
    with running_servers(tmp_path_factory.mktemp("parents-type")) as s:
        yield s


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


@pytest.fixture(scope="module")
def outcomes(request, servers, agency) -> Dict[str, Optional[BaseException]]:
    """Every selected case, run at once: case id → None (passed) or the failure."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params}
    if any(item.module is request.module and item.name == "test_no_agency_record_differs_from_what_the_parent_meant"
           for item in request.session.items):
        selected = {c.id for c in CASES}                 # the audit needs every case
    chosen = [c for c in CASES if c.id in selected]
    jobs: List[Callable[[], Dict[str, Optional[BaseException]]]] = []

    def one(case: Case):
        def run():
            try:
                RUN[case.id.split("-")[0]](servers, agency, case)
                return {case.id: None}
            except BaseException as err:  # noqa: BLE001 - kept for the case's own test
                err.__traceback__ = None if isinstance(err, AssertionError) else err.__traceback__
                return {case.id: err if isinstance(err, AssertionError)
                        else AssertionError("".join(traceback.format_exception(err)))}
        return run

    for case in chosen:
        if not case.id.startswith("s10-"):
            jobs.append(one(case))
    for lang in ("en", "zh", "ms", "ta"):
        sms = [c for c in chosen if c.id.startswith(f"s10-{lang}-")]
        if sms:
            jobs.append(lambda lang=lang, sms=sms: s10_phone(servers, agency, lang, sms))
    results: Dict[str, Optional[BaseException]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for done in pool.map(lambda job: job(), jobs):
            results.update(done)
    return results


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=False, reason=XFAIL[case.id])] if case.id in XFAIL else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_what_parents_type(outcomes, case):
    """One scenario × language × voice: the phrasing and who wrote it are in parents_type.yml."""
    error = outcomes[case.id]
    if error is not None:
        raise AssertionError(f"[{case.id}] {case.phrasing.get('voice')}: {case.text!r}\n{error}")


def test_no_agency_record_differs_from_what_the_parent_meant(outcomes, agency):
    """After all the cases: every registration of the module's babies has exactly the name the parent meant (none for
    the cases that must not submit), every booking of the module's (child, service) pairs is at the time meant, and
    the conversations that must not apply left nothing at MSF."""
    wrong = []
    for enlb, (token, meant) in sorted(LEDGER.births.items()):
        for r in agency.ica.registrations(token):
            if r["enlb_number"] == enlb and r["child"]["name"] != meant:
                wrong.append(f"ICA {r['reference']} ({enlb}): {r['child']['name']!r}, meant {meant!r}")
    for (child, service), (token, meant) in sorted(LEDGER.bookings.items()):
        for a in agency.health.appointments(token, status="booked"):
            if a["child"]["name"] == NAME[child] and a["service"] == service and \
                    datetime.fromisoformat(a["starts_at"]) != meant:
                wrong.append(f"Health {a['reference']} ({NAME[child]}, {service}): {a['starts_at']}, meant {meant}")
    for token in LEDGER.no_application:
        wrong += [f"MSF {a['reference']} ({a['child']['name']}): nothing was to be submitted"
                  for a in agency.msf.applications(token) if a["reference"] != "BB-SEED0001"]
    assert LEDGER.births or LEDGER.bookings, "no case ran"
    assert wrong == []


def test_every_scenario_has_two_voices_in_every_language():
    for scenario, by_lang in PHRASINGS.items():
        for lang in ("en", "zh", "ms", "ta"):
            voices = [p["voice"] for p in by_lang[lang]]
            assert len(voices) == 2 and len(set(voices)) == 2, (scenario, lang, voices)
