"""Names of things (not messages) in the four languages: polyclinic services, vaccine doses, record states.

Messages live in the domain; these are the values an action puts into a message's placeholders, like the clinic
names the Health agency returns in four languages. tests/unit/test_appointments.py checks every entry has all four
languages, each in its script.
"""
from __future__ import annotations

from typing import Dict, Optional

from moments.text.formatting import lang_or_en

Names = Dict[str, Dict[str, str]]

SERVICES: Names = {
    "vaccination": {"en": "vaccination", "zh": "疫苗接种", "ms": "vaksinasi", "ta": "தடுப்பூசி"},
    "developmental_screening": {"en": "developmental screening", "zh": "发育检查", "ms": "saringan perkembangan",
                                "ta": "வளர்ச்சிப் பரிசோதனை"},
}

# One entry per dose of MOH's National Childhood Immunisation Schedule (the Health agency's codes).
VACCINES: Names = {
    "BCG": {"en": "BCG", "zh": "卡介苗（BCG）", "ms": "BCG", "ta": "BCG (காசநோய்)"},
    "HEPB-1": {"en": "Hepatitis B dose 1", "zh": "乙型肝炎疫苗第1剂", "ms": "Hepatitis B dos 1",
               "ta": "ஹெபடைடிஸ் B டோஸ் 1"},
    "6IN1-1": {"en": "6-in-1 dose 1", "zh": "六合一疫苗第1剂", "ms": "6-dalam-1 dos 1", "ta": "6-in-1 டோஸ் 1"},
    "5IN1-2": {"en": "5-in-1 dose 2", "zh": "五合一疫苗第2剂", "ms": "5-dalam-1 dos 2", "ta": "5-in-1 டோஸ் 2"},
    "PCV-1": {"en": "pneumococcal (PCV) dose 1", "zh": "肺炎球菌疫苗（PCV）第1剂", "ms": "pneumokokal (PCV) dos 1",
              "ta": "நிமோகாக்கல் (PCV) டோஸ் 1"},
    "6IN1-3": {"en": "6-in-1 dose 3", "zh": "六合一疫苗第3剂", "ms": "6-dalam-1 dos 3", "ta": "6-in-1 டோஸ் 3"},
    "PCV-2": {"en": "pneumococcal (PCV) dose 2", "zh": "肺炎球菌疫苗（PCV）第2剂", "ms": "pneumokokal (PCV) dos 2",
              "ta": "நிமோகாக்கல் (PCV) டோஸ் 2"},
    "FLU-1": {"en": "flu vaccine (first season, dose 1)", "zh": "流感疫苗（第一季第1剂）",
              "ms": "vaksin selesema (musim pertama, dos 1)", "ta": "ஃப்ளூ தடுப்பூசி (முதல் பருவம், டோஸ் 1)"},
    "FLU-2": {"en": "flu vaccine (first season, dose 2)", "zh": "流感疫苗（第一季第2剂）",
              "ms": "vaksin selesema (musim pertama, dos 2)", "ta": "ஃப்ளூ தடுப்பூசி (முதல் பருவம், டோஸ் 2)"},
    "MMR-1": {"en": "MMR dose 1", "zh": "麻疹腮腺炎风疹疫苗（MMR）第1剂", "ms": "MMR dos 1", "ta": "MMR டோஸ் 1"},
    "VAR-1": {"en": "chickenpox (varicella) dose 1", "zh": "水痘疫苗第1剂", "ms": "cacar air (varisela) dos 1",
              "ta": "சின்னம்மை (varicella) டோஸ் 1"},
    "PCV-B": {"en": "pneumococcal (PCV) booster", "zh": "肺炎球菌疫苗（PCV）加强针", "ms": "dos penggalak pneumokokal (PCV)",
              "ta": "நிமோகாக்கல் (PCV) பூஸ்டர்"},
    "MMRV-1": {"en": "MMRV", "zh": "麻疹腮腺炎风疹水痘疫苗（MMRV）", "ms": "MMRV", "ta": "MMRV தடுப்பூசி"},
    "DTAP-B": {"en": "DTaP-IPV-Hib booster", "zh": "五合一加强针（DTaP-IPV-Hib）", "ms": "dos penggalak DTaP-IPV-Hib",
               "ta": "DTaP-IPV-Hib பூஸ்டர்"},
    "FLU-Y2": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y3": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y4": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y5": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
}

# States of the records check_status shows. "open" / "late": a birth the hospital notified, not registered yet
# ({deadline} is filled in).
STATES: Names = {
    "registered": {"en": "registered", "zh": "已登记", "ms": "sudah didaftarkan", "ta": "பதிவு செய்யப்பட்டது"},
    "approved": {"en": "approved", "zh": "已批准", "ms": "diluluskan", "ta": "அங்கீகரிக்கப்பட்டது"},
    "pending": {"en": "being processed", "zh": "处理中", "ms": "sedang diproses", "ta": "பரிசீலனையில் உள்ளது"},
    "rejected": {"en": "not approved", "zh": "未获批准", "ms": "tidak diluluskan", "ta": "அங்கீகரிக்கப்படவில்லை"},
    "open": {"en": "not registered yet; register online by {deadline}", "zh": "尚未登记，请在{deadline}之前上网登记",
             "ms": "belum didaftarkan; daftar dalam talian sebelum {deadline}",
             "ta": "இன்னும் பதிவு செய்யப்படவில்லை; {deadline}-க்குள் இணையத்தில் பதிவு செய்யுங்கள்"},
    "late": {"en": "not registered; the 42-day online period ended on {deadline}",
             "zh": "尚未登记；42天的网上登记期限已在{deadline}结束",
             "ms": "belum didaftarkan; tempoh 42 hari dalam talian tamat pada {deadline}",
             "ta": "பதிவு செய்யப்படவில்லை; 42 நாள் இணையப் பதிவுக் காலம் {deadline} அன்று முடிந்தது"},
    "booked": {"en": "booked", "zh": "已预约", "ms": "ditempah", "ta": "முன்பதிவு செய்யப்பட்டது"},
    "cancelled": {"en": "cancelled", "zh": "已取消", "ms": "dibatalkan", "ta": "ரத்து செய்யப்பட்டது"},
    "attended": {"en": "attended", "zh": "已就诊", "ms": "sudah hadir", "ta": "கலந்துகொண்டது"},
}

# Record kinds in the status list.
RECORDS: Names = {
    "birth_registration": {"en": "Birth registration", "zh": "出生登记", "ms": "Pendaftaran kelahiran",
                           "ta": "பிறப்புப் பதிவு"},
    "baby_bonus": {"en": "Baby Bonus", "zh": "婴儿花红", "ms": "Bonus Bayi", "ta": "பேபி போனஸ்"},
    "birth_notification": {"en": "Birth notified by the hospital", "zh": "医院通报的出生",
                           "ms": "Kelahiran yang dimaklumkan oleh hospital", "ta": "மருத்துவமனை அறிவித்த பிறப்பு"},
}


def label(table: Names, key: Optional[str], language: Optional[str]) -> str:
    """The name of `key` in `language`; an unknown key is shown as it is (never crash on a new agency value)."""
    names = table.get(key or "")
    if not names:
        return (key or "").replace("_", " ")
    return names[lang_or_en(language)]


def clinic_name(clinic: Optional[dict], language: Optional[str]) -> str:
    """A clinic from the Health agency ({"name": {"en": …, "zh": …}}) in the user's language."""
    names = (clinic or {}).get("name") or {}
    return names.get(lang_or_en(language)) or names.get("en") or (clinic or {}).get("id", "")
