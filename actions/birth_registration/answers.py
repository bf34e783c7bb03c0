"""What parents type during a birth registration, read in four languages: the child's names, sex, date of birth,
dialects, corrections at the summary ("change the name to Tan Wei Ming", "名字改成陈伟明", "tukar nama kepada …",
"பெயரை … என்று மாற்று") and the topic of a question. Pure functions: form.py beside this file uses them.

Each check returns `Checked(value)` or `Checked(error=<response name>, values=<its placeholders>)`. The agency's
own rules (moments.rules.birth: characters, lengths, scripts) are applied last, so what passes here ICA
accepts. The short labels below (sex, "married", month names) go into placeholders of domain responses.
"""
from __future__ import annotations

import re

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from actions.shared.answers import Checked
from moments.rules import birth as birth_rules
from moments.dates import parse_date
from moments.privacy import mask_nric
from moments.text import vocab
from moments.text.formatting import NO_VALUE, format_date
from moments.text.languages import lang_or_en
from moments.text.normalise import nfkc, normalise_answer
from moments.text.scripts import has_ethnic_script, in_ethnic_script
from moments.text.vocab import LOWER_CASE_NAME_WORDS, NO_WORDS, SKIP_WORDS, YES_WORDS
from moments.text.words import find_word, has_word

# -- labels inside the summary and the buttons ------------------------------------------------------------------
SEX_LABELS = {
    "M": {"en": "Boy", "zh": "男", "ms": "Lelaki", "ta": "ஆண்"},
    "F": {"en": "Girl", "zh": "女", "ms": "Perempuan", "ta": "பெண்"},
}
MARRIED_LABELS = {
    True: {"en": "married", "zh": "已婚", "ms": "berkahwin", "ta": "திருமணமானவர்கள்"},
    False: {"en": "not married to each other", "zh": "没有结婚", "ms": "tidak berkahwin", "ta": "திருமணமாகாதவர்கள்"},
}
NO_FATHER = {"en": "not included", "zh": "不列入", "ms": "tidak dimasukkan", "ta": "சேர்க்கப்படவில்லை"}
NONE = NO_VALUE


def birth_date(value: Any, lang: str) -> str:
    """'2026-11-23' → '23 Nov 2026' / '2026年11月23日' / '23 Nov 2026' / '23 நவம்பர் 2026' (no weekday)."""
    return format_date(value, lang, weekday=False)


def sex_label(sex: Optional[str], lang: str) -> str:
    return SEX_LABELS.get(sex or "", {}).get(lang, NONE)


def person_label(person: Optional[Dict[str, Any]]) -> str:
    if not person:
        return NONE
    return f"{person['name']} ({mask_nric(person['nric'])})"


def summary_labels(father: Optional[Dict[str, Any]], married: bool, lang: str) -> Dict[str, str]:
    """The father's line and the parents' status: unmarried parents register without the father here."""
    lang = lang_or_en(lang)
    return {"father": person_label(father) if married else NO_FATHER[lang], "marital_status": MARRIED_LABELS[married][lang]}


# -- reading answers -----------------------------------------------------------------------------------------------
# More ways to say "none" to an optional question of this journey (the ethnic name, the dialects).
MORE_SKIP_WORDS = {"skip it", "no need", "tak perlu", "不需要", "தேவையில்லை", "இல்லை"}


def is_skip(text: Any) -> bool:
    return vocab.is_skip(text) or (isinstance(text, str) and normalise_answer(text) in MORE_SKIP_WORDS)


is_cancel = vocab.is_stop


NAME_PREFIX = re.compile(
    r"^(?:(?:his|her|the|my|our|baby'?s?|child'?s?)\s+)*(?:full\s+)?name\s*(?:is|will be|:|=)\s*"
    r"|^(?:call(?:ed)?\s+(?:him|her)|namanya|nama\s*(?:dia|bayi|anak)?\s*(?:ialah|adalah|:)?)\s+"
    r"|^(?:名字|姓名|英文名字?)\s*(?:是|叫|为|:|：)\s*|^叫"
    r"|^பெயர்\s*[:：]?\s*", re.IGNORECASE)
NAME_CHARS = re.compile(r"[A-Za-z .,'@/()\-]")


def tidy_name(name: str) -> str:
    """Collapses spaces; an all-lower-case name gets capitals ("tan kai xuan" → "Tan Kai Xuan", "bin" stays)."""
    name = " ".join(name.split())
    if name == name.lower():
        name = " ".join(w if w in LOWER_CASE_NAME_WORDS else "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
                        for w in name.split(" "))
    return name


def check_child_name(raw: Any) -> Checked:
    if normalise_answer(str(raw or "")) in YES_WORDS | NO_WORDS | SKIP_WORDS | {"/affirm", "/deny", ""}:
        return Checked(error="utter_birth_name_needed")  # "no", "skip", "ok": not a name
    text = nfkc(raw).strip()
    text = re.sub(r"[\s.,。，]+$", "", NAME_PREFIX.sub("", text))  # a sentence's full stop is not part of the name
    without_fillers = strip_trailing_fillers(text)
    if without_fillers != TRAILING_PUNCTUATION.sub("", text):  # words after the name ("… lah pls"), not just "!"
        text = without_fillers
    text = text.strip("\"“”「」")
    if has_ethnic_script(text) and not in_ethnic_script(text):
        text = capitalised_name(text) or text  # "他叫 Marcus Tan 啦", "பெயர் Harini d/o Murugan": the Latin name in it
    if in_ethnic_script(text) or has_ethnic_script(text):
        return Checked(error="utter_birth_name_not_english")
    if any(c.isdigit() for c in text):
        return Checked(error="utter_birth_name_has_digits")
    bad = sorted({c for c in text if not NAME_CHARS.match(c)})
    if bad:
        return Checked(error="utter_birth_name_has_symbols", values={"symbols": " ".join(bad)})
    name = tidy_name(text)
    if len(name) < 2 or len(name) > birth_rules.NAME_MAX or sum(c.isalpha() for c in name) < 2:
        return Checked(error="utter_birth_name_length", values={"max": birth_rules.NAME_MAX})
    if not name[0].isalpha():
        return Checked(error="utter_birth_name_has_symbols", values={"symbols": name[0]})
    try:
        return Checked(value=birth_rules.clean_english_name(name))
    except birth_rules.RuleError:
        return Checked(error="utter_birth_name_length", values={"max": birth_rules.NAME_MAX})


def check_ethnic_name(raw: Any) -> Checked:
    if is_skip(raw):
        return Checked(value="")
    text = nfkc(raw).strip().strip("\"“”「」")
    text = re.sub(r"^(?:中文名字?|华文名字?|名字)\s*(?:是|叫|:|：)\s*|^(?:தமிழ்ப்?\s*பெயர்)\s*[:：]?\s*", "", text)
    try:
        return Checked(value=birth_rules.clean_ethnic_name(text)[0])
    except birth_rules.RuleError:
        return Checked(error="utter_birth_ethnic_name_invalid", values={"max": birth_rules.ETHNIC_NAME_MAX})


SEX_WORDS = {
    "M": ["boy", "male", "son", "m", "baby boy", "男", "男孩", "男生", "儿子", "男宝", "lelaki", "laki", "laki-laki",
          "putera", "ஆண்", "பையன்", "மகன்"],
    "F": ["girl", "female", "daughter", "f", "baby girl", "女", "女孩", "女生", "女儿", "女宝", "perempuan", "puteri",
          "பெண்", "மகள்"],
}


def check_sex(raw: Any) -> Checked:
    text = nfkc(raw).lower().strip()
    found = {sex for sex, words in SEX_WORDS.items() if any(has_word(text, w) for w in words)}
    if len(found) == 1:
        return Checked(value=found.pop())
    return Checked(error="utter_birth_sex_not_understood")


DATE_SHAPE = re.compile(r"\d{1,4}\s*[/.\-年月]\s*\d{1,2}|\d{1,2}\s*(?:[a-z]{3,}|[\u0b80-\u0bff]+)|[a-z]{3,}\s*\d{1,2}",
                        re.IGNORECASE)


def check_date_of_birth(raw: Any, today: date, on_record: Optional[str] = None) -> Checked:
    text = str(raw or "")
    born = parse_date(text, today=today, prefer="past")
    if born is None:
        return Checked(error="utter_birth_date_impossible" if DATE_SHAPE.search(text) else "utter_birth_date_not_understood")
    if born > today:
        return Checked(error="utter_birth_date_future")
    if on_record and born.isoformat() != on_record:
        return Checked(error="utter_birth_date_mismatch", values={"on_record": on_record, "given": born.isoformat()})
    return Checked(value=born.isoformat())


DIALECT_NAMES = {
    "福建": "Hokkien", "闽南": "Hokkien", "潮州": "Teochew", "广东": "Cantonese", "广府": "Cantonese", "客家": "Hakka",
    "海南": "Hainanese", "福州": "Foochow", "兴化": "Henghua", "莆田": "Henghua", "福清": "Hockchia", "上海": "Shanghainese",
    "jawa": "Javanese", "boyan": "Boyanese", "bawean": "Boyanese", "bugis": "Bugis", "banjar": "Banjarese",
    "minang": "Minangkabau", "தமிழ்": "Tamil", "மலையாளம்": "Malayalee", "மலையாளி": "Malayalee",
    "தெலுங்கு": "Telugu", "பஞ்சாபி": "Punjabi", "குஜராத்தி": "Gujarati",
}
MOTHER_WORDS = ("mother", "mum", "mom", "mummy", "ibu", "emak", "mak", "妈妈", "母亲", "妈", "அம்மா", "தாய்")
FATHER_WORDS = ("father", "dad", "daddy", "bapa", "ayah", "abah", "爸爸", "父亲", "爸", "அப்பா", "தந்தை")
DIALECT_SPLIT = re.compile(r"\s*(?:[,/&;、，+]|\band\b|\bdan\b|和|及|跟|மற்றும்)\s*", re.IGNORECASE)


def _one_dialect(part: str) -> Optional[str]:
    part = re.sub(r"(?i)\b(?:orang|bahasa|loghat|dialek|dialect|is|ialah)\b|话|人|籍|语|[:：]", " ", part).strip()
    for words in (MOTHER_WORDS, FATHER_WORDS):
        for w in words:
            part = re.sub(r"(?i)(?<![a-z])" + re.escape(w) + r"(?![a-z])" if w.isascii() else re.escape(w), " ", part)
    part = " ".join(part.split())
    if not part:
        return None
    for word, english in DIALECT_NAMES.items():
        if word in part.lower():
            return english
    try:
        return birth_rules.clean_dialect(part)
    except birth_rules.RuleError:
        return None


def check_dialects(raw: Any, father_on_certificate: bool) -> Checked:
    """"skip" → {}; "Hokkien" → both parents; "Hokkien, Teochew" / "father Teochew" → mother first, then father."""
    if is_skip(raw):
        return Checked(value={})
    text = nfkc(raw).strip()
    parts = [p for p in DIALECT_SPLIT.split(text) if p.strip()]
    if not parts or len(parts) > 2:
        return Checked(error="utter_birth_dialect_invalid")
    mother: Optional[str] = None
    father: Optional[str] = None
    positional: List[str] = []
    for part in parts:
        dialect = _one_dialect(part)
        if dialect is None:
            return Checked(error="utter_birth_dialect_invalid")
        low = part.lower()
        if any(has_word(low, w) for w in FATHER_WORDS):
            father = dialect
        elif any(has_word(low, w) for w in MOTHER_WORDS):
            mother = dialect
        else:
            positional.append(dialect)
    if len(parts) == 1 and positional:
        mother = positional[0]
        father = positional[0]
    else:
        for dialect in positional:
            if mother is None:
                mother = dialect
            elif father is None:
                father = dialect
    return Checked(value={"mother": mother, "father": father if father_on_certificate else None})


# -- corrections at the summary -----------------------------------------------------------------------------------
FIELD_WORDS: Dict[str, List[str]] = {
    "birth_ethnic_name": ["chinese name", "tamil name", "jawi name", "ethnic name", "name in chinese", "name in tamil",
                          "name in jawi", "chinese characters", "中文名字", "中文名", "华文名字", "华文名", "汉字名",
                          "nama cina", "nama jawi", "nama tamil", "nama dalam tulisan", "தமிழ்ப் பெயர", "தமிழ் பெயர",
                          "சீனப் பெயர", "ஜாவி பெயர"],
    "birth_child_dob": ["date of birth", "birth date", "birthdate", "birthday", "dob", "出生日期", "生日", "出生日",
                        "tarikh lahir", "hari lahir", "பிறந்த தேதி", "பிறந்த நாள்", "பிறந்த திகதி"],
    "birth_child_name": ["english name", "baby's name", "baby name", "child's name", "name", "英文名字", "英文名", "名字",
                         "姓名", "nama bayi", "nama anak", "nama", "பெயர", "பேர", "peru", "peyar", "pearu"],
    "birth_child_sex": ["sex", "gender", "性别", "jantina", "பாலினம்"],
    "birth_dialects": ["dialects", "dialect", "方言", "籍贯", "dialek", "loghat", "வட்டார மொழி", "கிளைமொழி"],
    # from the hospital's notification or MyInfo: not changed in the chat
    "fixed": ["hospital", "place of birth", "time of birth", "birth time", "mother", "father", "parents",
              "marital status", "医院", "出生地点", "出生时间", "母亲", "父亲", "妈妈", "爸爸", "婚姻", "tempat lahir",
              "masa lahir", "waktu lahir", "ibu", "bapa", "ayah", "status perkahwinan", "மருத்துவமனை", "பிறந்த நேரம்",
              "தாய்", "தந்தை", "அம்மா", "அப்பா", "திருமண"],
}
CHANGE_WORDS = ["change", "update", "correct", "edit", "fix", "amend", "modify", "wrong", "should be", "shld be",
                "shud be", "sud be", "should b", "make it",
                "actually", "instead", "改", "换", "更正", "修改", "不对", "错", "应该是", "tukar", "ubah", "betulkan",
                "pinda", "salah", "sepatutnya", "patutnya", "மாற்ற", "மாற்று", "மாத்த", "மாத்து", "திருத்த", "தவறு", "சரிசெய்",
                # spoken Tamil, in Tamil script and romanised: "… னு போடுங்க", "… nu irukkanum", "peru thappa"
                "தப்பா", "தப்பு", "போடுங்க", "போடவும்", "இருக்க வேண்டும்", "இருக்கணும்", "thappa", "thappu", "podunga",
                "podungo", "poodunga", "irukkanum", "irukanum", "maathunga", "maathanum", "mathanum", "maatunga",
                "maathu", "mathu"]
# What comes between the field and the new value ("to", "改成", "kepada"); Tamil puts the value before என்று/ஆக.
VALUE_MARKERS = re.compile(
    r"(?i)^\s*(?:(?:(?:should|shld|shud|sud|must)\s+(?:be|b)|to\s+be|to|as|into|is|kepada|kpd|jadi|menjadi|sepatutnya|patutnya|ialah|"
    r"adalah)(?![a-z])|=|:|：|改成|改为|改做|改作|换成|应该是|应为|写成|是)\s*")
TAMIL_VALUE = re.compile(r"^\s*(?:ஐ|யை|ை|்)?\s*(.+?)\s+(?:என்று|என|ஆக|ஆகா)\s*(?:மாற்ற\S*|மாத்த\S*|திருத்த\S*|போடு\S*)?\s*$")
LEADING_WRONG = re.compile(r"(?i)^\s*(?:is\s+)?(?:wrong|incorrect|salah|tak betul|不对|错了|错|தவறு)\s*[,，]?(?=\s*\S)")
WRONG_WORDS = {"wrong", "incorrect", "not correct", "salah", "tak betul", "错", "错了", "不对", "தவறு", "சரியில்லை"}
# Words people put after a value that are not part of it: "… should be Tan Wei Ming lah pls", "nama dia Adam Haziq
# la tu", "陈伟明吧谢谢". Stripped one by one from the end (strip_trailing_fillers), so no filler reaches an agency.
TRAILING = re.compile(r"(?i)(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|tq|ty|lah|la|leh|lor|hor|mah|meh|"
                      r"ok|okay|can|sorry|sila|tolong|terima kasih|je|jer|tu|தயவுசெய்து|நன்றி|ப்ளீஸ்)|请|谢谢|吧|"
                      r"啦|哦|喔|呀)$")
# "ya" / "ye" are particles and also syllables of names ("Tan Hui Ya"): dropped only when typed in lower case after
# a capitalised name or after another filler ("Tan Hui Ming ya", "… lah ya"); otherwise kept, and the summary shows
# the name for the parent to check.
NAME_LIKE_TRAILING = re.compile(r"(?:[\s,]+(?:ya|yah|ye))+$")
CAPITALISED_LAST_WORD = re.compile(r"\b[A-Z][\w'-]*$")
TRAILING_PUNCTUATION = re.compile(r"[\s.!?,。！？，]+$")


def strip_trailing_fillers(value: str) -> str:
    """"Tan Wei Ming lah pls." → "Tan Wei Ming"; never strips the value down to nothing ("Ok" stays "Ok")."""
    value = TRAILING_PUNCTUATION.sub("", value.strip())
    while True:
        shorter = TRAILING.sub("", value)
        like = NAME_LIKE_TRAILING.search(shorter)
        if like:
            before = shorter[:like.start()]
            if CAPITALISED_LAST_WORD.search(before) or TRAILING.search(before):
                shorter = before
        shorter = TRAILING_PUNCTUATION.sub("", shorter)
        if shorter == value or not shorter.strip():
            return value
        value = shorter


# Words a parent capitalises around a name that are not part of it ("Should be …", "Thank you", "Change to …").
NOT_NAME_WORDS = frozenset("""
should shld shud sud be is it its it's the a an to as into change update correct edit fix amend make name names
english full baby baby's child child's son daughter his her my our sorry sry sori please pls plz thank thanks you
tq ty can cannot yes no not ok okay only also just actually instead wrong correct hi hello hey dear aiyo aiyoh eh oh
i we mine spelling spelt spell typo register registration nama tukar ubah jadi menjadi kepada salah betul tolong sila
sepatutnya patutnya bayi anak dia saya terima kasih maaf peru peyar nu podunga maathunga maathanum irukkanum
la lah leh lor hor mah meh liao je jer tu
""".split())
_NAME_WORD = r"(?:[sdSD]/[oO]|[aA]/[lLpP]|@|[A-Za-z][A-Za-z'\-]*\.?)(?![/\w])"
LATIN_NAME_RUN = re.compile(_NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + ")*")


def _name_word(word: str) -> bool:
    bare = word.rstrip(".")
    return bare[:1].isupper() and bare.lower() not in NOT_NAME_WORDS


def capitalised_name(text: str) -> Optional[str]:
    """The name a parent typed with capitals inside other words, in any language ("change to Sophie Tan Hui Wen
    can?", "名字应该是 Wong Mei Qi 的，谢谢你", "nama tu salah, Aisyah Humaira binte Kamal la", "peru Kavin Raj nu
    irukkanum da", "பெயர் Harini d/o Murugan என்று இருக்க வேண்டும்"): the longest run of capitalised words, with
    bin / binte / s/o / d/o / a/l / @ allowed between two of them. None when the name is typed without capitals."""
    best: List[str] = []
    for run in LATIN_NAME_RUN.finditer(text):
        words = run.group(0).split()
        current: List[str] = []
        for i, word in enumerate(words + [""]):
            particle = word.lower() in LOWER_CASE_NAME_WORDS and current and i + 1 < len(words) \
                and _name_word(words[i + 1])
            if word and (_name_word(word) or particle):
                current.append(word)
                continue
            if len(current) > len(best):
                best = current
            current = []
    if not best:
        return None
    return " ".join(best).rstrip(".")


# Everyday words that are almost never part of a name: a name holding one is shown back on its own before it goes to
# ICA ("Is the baby's name exactly 'Marcus Tan only'?"). Not the syllables names share with words (Ya, Ah, Man, Ling).
EVERYDAY_WORDS = frozenset("""
only please pls plz thanks thank thx tq ty can cannot lah la leh lor hor mah meh liao sia ok okay one also already
the is my should shld be wrong sorry and not yes no just actually change correct name baby boy girl son daughter
tu je jer nak saya boleh sahaja saja tolong nama betul salah sudah dah nu podunga pannunga irukkanum venum sari
""".split())


def everyday_word(name: Any) -> Optional[str]:
    """The first word of `name` that is an everyday word ("Marcus Tan Jun Wei Only" → "Only"); None for a name."""
    for word in str(name or "").split():
        if word.strip(".,").lower() in EVERYDAY_WORDS:
            return word
    return None


@dataclass(frozen=True)
class Correction:
    field: Optional[str]       # a slot, "fixed", or None ("change something")
    value: Optional[str]       # the new value as typed, or None ("change the name": ask it again)


def parse_correction(text: Any) -> Optional[Correction]:
    """"change the name to Tan Wei Ming" → (birth_child_name, "Tan Wei Ming"); "名字改成陈伟明"; "tukar nama kepada
    Adam"; "பெயரை Kavin என்று மாற்று"; "change the name" → (birth_child_name, None); "change something" → (None, None).
    None when the text does not ask for a change."""
    if not isinstance(text, str) or not text.strip() or text.strip().startswith("/"):
        return None
    original = nfkc(text).strip()
    low = original.lower()
    has_verb = any(find_word(low, w) for w in CHANGE_WORDS)
    best: Optional[Tuple[int, int, str]] = None  # (start, -length, field)
    for field, words in FIELD_WORDS.items():
        for word in words:
            pos = find_word(low, word)
            if pos and (best is None or (pos[0], -(pos[1] - pos[0])) < (best[0], best[1])):
                best = (pos[0], -(pos[1] - pos[0]), field)
    if best is None:
        return Correction(None, None) if has_verb else None
    start, neg_len, field = best
    end = start + -neg_len
    rest = LEADING_WRONG.sub("", original[end:])  # "name wrong, should be …"
    value = None
    m = VALUE_MARKERS.match(rest)
    if m:
        value = rest[m.end():]
    else:
        t = TAMIL_VALUE.match(rest)
        if t:
            value = t.group(1)
    if value is None and not has_verb:
        return None
    if field == "birth_child_name":
        typed = capitalised_name(rest)
        if typed and (value is None or typed in value or has_ethnic_script(value) or typed.split()[0] in value):
            value = typed  # the capitalised words are the name: what is around them ("only", "才对", "nu") is not
    if value is not None:
        value = strip_trailing_fillers(value).strip("\"'“”「」")
        value = re.sub(r"\s*(?:என்று|என|ஆக)\s*(?:மாற்ற\S*|மாத்த\S*)\s*$", "", value).strip()
        value = re.sub(r"(?i)^(?:the\s+)?", "", value) if field != "birth_child_name" else value
        if not value or value.lower() in WRONG_WORDS:
            value = None
    return Correction(field, value)


# -- questions about birth registration, in or out of the form ----------------------------------------------------------
TOPICS: List[Tuple[str, List[str]]] = [
    ("unmarried", ["not married", "unmarried", "unwed", "single mum", "single mom", "single mother", "single parent",
                   "未婚", "没结婚", "没有结婚", "单亲", "belum kahwin", "tak kahwin", "tidak berkahwin", "belum berkahwin",
                   "ibu tunggal", "திருமணம் ஆகாத", "திருமணமாகாத", "கல்யாணம் ஆகாத"]),
    ("late", ["late", "miss the", "missed", "after 42", "penalty", "fine", "迟", "逾期", "过了42", "超过42", "罚",
              "lewat", "terlepas", "denda", "தாமத", "அபராத"]),
    ("documents", ["document", "prepare", "bring", "need what", "what do i need", "what info", "文件", "证件", "准备",
                   "需要什么", "要带", "dokumen", "sediakan", "perlu apa", "bawa", "ஆவண", "தயார்", "என்ன தேவை"]),
    ("certificate", ["cert", "download", "pdf", "print", "copy", "证书", "证明", "下载", "打印", "sijil", "muat turun",
                     "cetak", "சான்றிதழ்", "பதிவிறக்க"]),
    ("fee", ["fee", "cost", "how much", "pay", "$", "free", "费用", "多少钱", "收费", "付", "钱", "bayaran", "yuran",
             "kos", "bayar", "percuma", "கட்டணம்", "செலவு", "எவ்வளவு", "பணம்"]),
    ("deadline", ["deadline", "last day", "how long", "how many days", "by when", "within", "42", "when must",
                  "截止", "期限", "几天", "多久", "最后一天", "之前", "tarikh akhir", "berapa hari", "bila", "dalam tempoh",
                  "கடைசி", "நாட்களுக்குள்", "எத்தனை நாள்", "எப்போது"]),
]
TOPIC_RESPONSES = {
    "unmarried": "utter_birth_info_unmarried",
    "late": "utter_birth_info_late",
    "certificate": "utter_birth_info_certificate",
    "fee": "utter_birth_info_fee",
    "documents": "utter_birth_info_documents",
    "deadline": "utter_birth_info_deadline",
}


QUESTION_WORDS = ("?", "？", "how much", "how many", "how long", "when", "what", "need to", "多少", "几天", "吗", "嗎",
                  "要不要", "berapa", "bila", "apa", "perlu ke", "எவ்வளவு", "எத்தனை", "எப்போ", "என்ன", "evvalavu",
                  "ethana", "eppo")


def asked_question(text: Any) -> Optional[str]:
    """The topic of a question about registering typed where an answer was expected ("eh need to pay how much ah",
    "要给钱吗?", "எவ்வளவு பணம் கட்டணும்?" at the name question); None for an answer. A name never holds a question
    word and a topic word together."""
    if not isinstance(text, str):
        return None
    low = nfkc(text).lower()
    if not any((w in low) if not w.isalpha() or not w.isascii() else re.search(r"(?<![a-z])" + w + r"(?![a-z])", low)
               for w in QUESTION_WORDS):
        return None
    return question_topic(text)


def question_topic(text: Optional[str]) -> Optional[str]:
    low = nfkc(text).lower()
    for topic, words in TOPICS:
        for w in words:
            if w.isascii() and w.isalpha():
                if re.search(r"(?<![a-z])" + re.escape(w) + r"(?:s|es)?(?![a-z])", low):
                    return topic
            elif w in low:
                return topic
    return None


