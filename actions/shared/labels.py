"""Names of things (not messages) in the four languages: polyclinic services, vaccine doses, record states,
hospitals, dialects.

Messages live in the domain; these are the values an action puts into a message's placeholders, like the clinic
names the Health agency returns in four languages. The agencies keep their canonical values (a hospital code and its
English name, a dialect in English letters as ICA records it, a vaccine code); only what is shown is localised.
tests/unit/test_appointments.py checks every entry has all four languages, each in its script;
tests/unit/test_labels_localised.py that no English name reaches a Chinese, Malay or Tamil text.
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
               "ta": "ஹெபடைடிஸ் B தவணை 1"},
    "6IN1-1": {"en": "6-in-1 dose 1", "zh": "六合一疫苗第1剂", "ms": "6-dalam-1 dos 1", "ta": "6-இல்-1 தவணை 1"},
    "5IN1-2": {"en": "5-in-1 dose 2", "zh": "五合一疫苗第2剂", "ms": "5-dalam-1 dos 2", "ta": "5-இல்-1 தவணை 2"},
    "PCV-1": {"en": "pneumococcal (PCV) dose 1", "zh": "肺炎球菌疫苗（PCV）第1剂", "ms": "pneumokokal (PCV) dos 1",
              "ta": "நிமோகாக்கல் (PCV) தவணை 1"},
    "6IN1-3": {"en": "6-in-1 dose 3", "zh": "六合一疫苗第3剂", "ms": "6-dalam-1 dos 3", "ta": "6-இல்-1 தவணை 3"},
    "PCV-2": {"en": "pneumococcal (PCV) dose 2", "zh": "肺炎球菌疫苗（PCV）第2剂", "ms": "pneumokokal (PCV) dos 2",
              "ta": "நிமோகாக்கல் (PCV) தவணை 2"},
    "FLU-1": {"en": "flu vaccine (first season, dose 1)", "zh": "流感疫苗（第一季第1剂）",
              "ms": "vaksin selesema (musim pertama, dos 1)", "ta": "ஃப்ளூ தடுப்பூசி (முதல் பருவம், தவணை 1)"},
    "FLU-2": {"en": "flu vaccine (first season, dose 2)", "zh": "流感疫苗（第一季第2剂）",
              "ms": "vaksin selesema (musim pertama, dos 2)", "ta": "ஃப்ளூ தடுப்பூசி (முதல் பருவம், தவணை 2)"},
    "MMR-1": {"en": "MMR dose 1", "zh": "麻疹腮腺炎风疹疫苗（MMR）第1剂", "ms": "MMR dos 1", "ta": "MMR தவணை 1"},
    "VAR-1": {"en": "chickenpox (varicella) dose 1", "zh": "水痘疫苗第1剂", "ms": "cacar air (varisela) dos 1",
              "ta": "சின்னம்மை தவணை 1"},
    "PCV-B": {"en": "pneumococcal (PCV) booster", "zh": "肺炎球菌疫苗（PCV）加强针", "ms": "dos penggalak pneumokokal (PCV)",
              "ta": "நிமோகாக்கல் (PCV) பூஸ்டர்"},
    "MMRV-1": {"en": "MMRV", "zh": "麻疹腮腺炎风疹水痘疫苗（MMRV）", "ms": "MMRV", "ta": "MMRV தடுப்பூசி"},
    "DTAP-B": {"en": "DTaP-IPV-Hib booster", "zh": "五合一加强针（DTaP-IPV-Hib）", "ms": "dos penggalak DTaP-IPV-Hib",
               "ta": "5-இல்-1 பூஸ்டர்"},
    "FLU-Y2": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y3": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y4": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
    "FLU-Y5": {"en": "yearly flu vaccine", "zh": "每年的流感疫苗", "ms": "vaksin selesema tahunan",
               "ta": "ஆண்டு ஃப்ளூ தடுப்பூசி"},
}

# Hospitals by ICA's code (moments/agencies/seed.py HOSPITALS); the agency returns the English name only.
# Chinese: the names the hospitals and the Chinese press use; Malay: "Hospital …" as Malay word order has it;
# Tamil: translated where the name says what it is, transliterated where it is a proper name.
HOSPITALS: Names = {
    "KKH": {"en": "KK Women's and Children's Hospital", "zh": "竹脚妇幼医院",
            "ms": "Hospital Wanita dan Kanak-kanak KK", "ta": "கே.கே. மகளிர், குழந்தைகள் மருத்துவமனை"},
    "NUH": {"en": "National University Hospital", "zh": "国立大学医院", "ms": "Hospital Universiti Nasional",
            "ta": "தேசியப் பல்கலைக்கழக மருத்துவமனை"},
    "SGH": {"en": "Singapore General Hospital", "zh": "新加坡中央医院", "ms": "Hospital Besar Singapura",
            "ta": "சிங்கப்பூர் பொது மருத்துவமனை"},
    "SKH": {"en": "Sengkang General Hospital", "zh": "盛港综合医院", "ms": "Hospital Besar Sengkang",
            "ta": "செங்காங் பொது மருத்துவமனை"},
    "KTPH": {"en": "Khoo Teck Puat Hospital", "zh": "邱德拔医院", "ms": "Hospital Khoo Teck Puat",
             "ta": "கூ டெக் புவாட் மருத்துவமனை"},
    "NTFGH": {"en": "Ng Teng Fong General Hospital", "zh": "黄廷方综合医院", "ms": "Hospital Besar Ng Teng Fong",
              "ta": "இங் டெங் ஃபோங் பொது மருத்துவமனை"},
    "TMC": {"en": "Thomson Medical Centre", "zh": "汤申医疗中心", "ms": "Pusat Perubatan Thomson",
            "ta": "தாம்சன் மருத்துவ நிலையம்"},
    "MAH": {"en": "Mount Alvernia Hospital", "zh": "安微尼亚山医院", "ms": "Hospital Mount Alvernia",
            "ta": "மவுண்ட் அல்வெர்னியா மருத்துவமனை"},
    "GEH": {"en": "Gleneagles Hospital", "zh": "鹰阁医院", "ms": "Hospital Gleneagles", "ta": "கிளெனீகல்ஸ் மருத்துவமனை"},
    "MEH": {"en": "Mount Elizabeth Hospital", "zh": "伊丽莎白医院", "ms": "Hospital Mount Elizabeth",
            "ta": "மவுண்ட் எலிசபெத் மருத்துவமனை"},
    "PEH": {"en": "Parkway East Hospital", "zh": "百汇东海岸医院", "ms": "Hospital Parkway East",
            "ta": "பார்க்வே ஈஸ்ட் மருத்துவமனை"},
}

# Dialects and dialect groups as ICA records them (English letters; what actions/birth_registration/answers.py
# reads "福建", "jawa" or "மலையாளம்" as). Chinese dialects are shown as the speech ("福建话"), the others as the group.
DIALECTS: Names = {
    "Hokkien": {"en": "Hokkien", "zh": "福建话", "ms": "Hokkien", "ta": "ஹொக்கியன்"},
    "Teochew": {"en": "Teochew", "zh": "潮州话", "ms": "Teochew", "ta": "தியோச்சூ"},
    "Cantonese": {"en": "Cantonese", "zh": "广东话", "ms": "Kantonis", "ta": "கண்டோனீஸ்"},
    "Hakka": {"en": "Hakka", "zh": "客家话", "ms": "Hakka", "ta": "ஹக்கா"},
    "Hainanese": {"en": "Hainanese", "zh": "海南话", "ms": "Hainan", "ta": "ஹைனானீஸ்"},
    "Foochow": {"en": "Foochow", "zh": "福州话", "ms": "Foochow", "ta": "ஃபூச்சௌ"},
    "Henghua": {"en": "Henghua", "zh": "兴化话", "ms": "Henghua", "ta": "ஹெங்குவா"},
    "Hockchia": {"en": "Hockchia", "zh": "福清话", "ms": "Hockchia", "ta": "ஹொக்சியா"},
    "Shanghainese": {"en": "Shanghainese", "zh": "上海话", "ms": "Shanghai", "ta": "ஷாங்காய்"},
    "Javanese": {"en": "Javanese", "zh": "爪哇", "ms": "Jawa", "ta": "ஜாவா"},
    "Boyanese": {"en": "Boyanese", "zh": "巴韦安", "ms": "Boyan", "ta": "போயான்"},
    "Bugis": {"en": "Bugis", "zh": "武吉士", "ms": "Bugis", "ta": "பூகிஸ்"},
    "Banjarese": {"en": "Banjarese", "zh": "班查尔", "ms": "Banjar", "ta": "பஞ்சார்"},
    "Minangkabau": {"en": "Minangkabau", "zh": "米南加保", "ms": "Minangkabau", "ta": "மினாங்கபாவ்"},
    "Tamil": {"en": "Tamil", "zh": "淡米尔", "ms": "Tamil", "ta": "தமிழ்"},
    "Malayalee": {"en": "Malayalee", "zh": "马拉雅里", "ms": "Malayali", "ta": "மலையாளி"},
    "Telugu": {"en": "Telugu", "zh": "泰卢固", "ms": "Telugu", "ta": "தெலுங்கு"},
    "Punjabi": {"en": "Punjabi", "zh": "旁遮普", "ms": "Punjabi", "ta": "பஞ்சாபி"},
    "Gujarati": {"en": "Gujarati", "zh": "古吉拉特", "ms": "Gujerat", "ta": "குஜராத்தி"},
}


# States of the records check_status shows. "open" / "late": a birth the hospital notified, not registered yet
# ({deadline} is filled in).
STATES: Names = {
    "registered": {"en": "registered", "zh": "已登记", "ms": "sudah didaftarkan", "ta": "பதிவானது"},
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


def hospital_name(code: Optional[str], english_name: Optional[str], language: Optional[str]) -> str:
    """A hospital in the user's language, by ICA's code; a hospital we have no names for keeps ICA's name."""
    names = HOSPITALS.get((code or "").upper())
    if names:
        return names[lang_or_en(language)]
    return english_name or code or ""


def dialect_name(dialect: Optional[str], language: Optional[str]) -> str:
    """A dialect as ICA records it ("Cantonese", any case) in the user's language; one we have no names for as it is."""
    if not dialect:
        return ""
    names = DIALECTS.get(dialect.strip().title()) or next(
        (v for k, v in DIALECTS.items() if k.lower() == dialect.strip().lower()), None)
    return names[lang_or_en(language)] if names else dialect
