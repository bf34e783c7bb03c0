"""What parents type while booking, moving or cancelling, read in four languages, and the Health agency's
appointments as the bot keeps and shows them. Pure functions: form.py and actions.py beside this file use them."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from actions.shared.answers import match_person, pick_by_number
from actions.shared.labels import SERVICES, clinic_name, label
from moments.text.formatting import format_datetime
from moments.text.words import has_stem

SERVICE_WORDS = {
    "vaccination": ("vaccin", "vacin", "jab", "injection", "immunis", "immuniz", "疫苗", "打针", "接种", "预防针",
                    "vaksin", "suntik", "imunisasi", "தடுப்பூசி", "ஊசி"),
    "developmental_screening": ("screening", "development", "check-up", "checkup", "check up", "发育", "检查", "体检",
                                "saringan", "perkembangan", "pemeriksaan", "வளர்ச்சி", "பரிசோதனை"),
}
CHANGE_WORDS = {
    "clinic": ("clinic", "poly", "诊所", "诊疗所", "地点", "klinik", "tempat", "மருந்தகம்", "கிளினிக்", "இடம்"),
    "date": ("date", "day", "time", "日期", "时间", "哪天", "tarikh", "hari", "masa", "waktu", "jam", "தேதி", "நாள்",
             "நேரம்"),
    "child": ("child", "baby", "son", "daughter", "孩子", "宝宝", "小孩", "anak", "bayi", "குழந்தை", "பிள்ளை"),
    "service": ("service", "服务", "项目", "perkhidmatan", "சேவை"),
}
REFERENCE = re.compile(r"\bAP-[0-9A-Z]{4,12}\b", re.IGNORECASE)


def change_request(text: str) -> Optional[str]:
    """Which answer the user wants to change ("change the clinic", "换日期", "tukar tarikh")."""
    for field, stems in CHANGE_WORDS.items():
        if has_stem(text, stems):
            return field
    return None


def choice_number(text: Any, count: int, in_time_order: bool = False) -> Optional[int]:
    """0-based index of the option chosen by its number ("2", "no. 2", "第2个") or its place ("the first one",
    "yang terakhir"; "the earlier one" at a list in time order); None otherwise."""
    return pick_by_number(text, count, in_time_order=in_time_order)


def child_mentioned(text: str, children: List[dict]) -> Optional[dict]:
    """The one child whose name is in `text` ("Irfan", "book for kavya pls"); None if none or several."""
    return match_person(text, children)


def picked_appointment(tracker: Tracker) -> Optional[dict]:
    """The upcoming appointment chosen to move or cancel."""
    ref = tracker.get_slot("appointment_pick")
    return next((a for a in tracker.get_slot("appointment_upcoming") or [] if a["reference"] == ref), None)


def summarise(appt: dict) -> dict:
    """What the bot keeps of an agency appointment (and shows), independent of the language."""
    clinic = appt.get("clinic") or {}
    return {
        "reference": appt["reference"], "status": appt.get("status"), "service": appt["service"],
        "child": (appt.get("child") or {}).get("name", ""), "child_id": (appt.get("child") or {}).get("id"),
        "clinic": {"id": clinic.get("id"), "name": clinic.get("name") or {}, "address": clinic.get("address", "")},
        "starts_at": appt["starts_at"], "reschedule_count": appt.get("reschedule_count", 0),
    }


def appointment_values(summary: dict, language: str) -> Dict[str, str]:
    """Placeholder values of an appointment, in `language`."""
    return {
        "reference": summary["reference"], "child": summary["child"],
        "service": label(SERVICES, summary["service"], language),
        "clinic": clinic_name(summary["clinic"], language), "address": summary["clinic"].get("address", ""),
        "when": format_datetime(summary["starts_at"], language),
    }


def appointment_title(summary: dict, language: str) -> str:
    v = appointment_values(summary, language)
    return f"{v['child']} · {v['service']} · {v['clinic']} · {format_datetime(summary['starts_at'], language, year=False)}"


