"""Unit tests: Markdown → SMS plain text, and splitting into GSM-7 (160) / UCS-2 (70) segments."""
import math
import re

import pytest

from moments.channels.plain_text import to_plain_text
from moments.channels.segments import (
    GSM7,
    UCS2,
    encoding_of,
    prefer_gsm7,
    split_sms,
    suffix,
    units,
)

NUMBERED = re.compile(r" \((\d+)/(\d+)\)$")

EN_LONG = (
    "Register your baby's birth online on LifeSG within 42 days of birth. A parent registers; the fee is $18. "
    "You need the hospital's notification of live birth number, both parents' details and the baby's name in "
    "the English alphabet (a Chinese, Tamil or Jawi name is optional). The digital birth certificate can be "
    "downloaded for 90 days."
)
ZH_LONG = (
    "2023年2月14日或之后出生的新加坡公民宝宝：第一胎和第二胎的婴儿花红现金礼品是 $11,000，第三胎起是 $13,000"
    "（父母必须是合法结婚的）。儿童培育户头（CDA）会得到 $5,000 的第一步津贴；您存进户头的钱，政府会一元对一元配对。"
    "请在孩子满12岁那一年的12月31日之前申请婴儿花红。"
)
TA_LONG = (
    "குழந்தை பிறந்த 42 நாட்களுக்குள் LifeSG-இல் இணையம் வழியாகப் பிறப்பைப் பதிவு செய்யுங்கள். பெற்றோரில் ஒருவர் "
    "பதிவு செய்ய வேண்டும்; கட்டணம் $18. மருத்துவமனை தரும் பிறப்பு அறிவிப்பு எண், பெற்றோர் இருவரின் விவரங்கள், "
    "ஆங்கில எழுத்துகளில் குழந்தையின் பெயர் ஆகியவை தேவை."
)


def strip_suffixes(parts):
    return [NUMBERED.sub("", p) for p in parts]


def assert_numbered(parts):
    n = len(parts)
    for i, p in enumerate(parts, 1):
        m = NUMBERED.search(p)
        assert m and (int(m.group(1)), int(m.group(2))) == (i, n), f"segment {i} is not numbered ({i}/{n}): {p!r}"


def greedy_word_count(text, limit):
    """Independent check of minimality: greedy packing of whitespace-separated words (optimal for one
    budget), trying every segment count n with its own suffix budget."""
    words = text.split()
    for n in range(2, 100):
        budget = limit - len(suffix(n, n))
        count, line = 1, ""
        for w in words:
            candidate = f"{line} {w}" if line else w
            if units(candidate, GSM7) <= budget:
                line = candidate
            else:
                count, line = count + 1, w
        if count <= n:
            return count
    raise AssertionError("no count found")


# --- encodings --------------------------------------------------------------------------------------

def test_gsm7_basic_and_extension_characters():
    assert encoding_of("Fee $18 @ LifeSG, 6-in-1: ok? (yes) £ é ñ Ü ß") == GSM7
    assert encoding_of("Price €5 [a] {b} ~c^ |d\\") == GSM7
    assert units("€[]{}", GSM7) == 10, "extension characters count two septets each"
    assert units("abc", GSM7) == 3


@pytest.mark.parametrize("text", ["婴儿花红", "வணக்கம்", "curly “quotes” with 中", "emoji 🙂", "back`tick"])
def test_anything_else_makes_the_message_ucs2(text):
    assert encoding_of(text) == UCS2


def test_ucs2_counts_utf16_code_units():
    assert units("婴儿花红", UCS2) == 4
    assert units("வணக்கம்", UCS2) == len("வணக்கம்") == 7  # vowel signs and virama are code points too
    assert units("𠀀", UCS2) == 2  # outside the BMP: a surrogate pair


def test_typographic_punctuation_is_replaced_only_when_that_keeps_gsm7():
    assert prefer_gsm7("It’s “done” – really…") == "It's \"done\" - really..."
    assert prefer_gsm7("“菜单”") == "“菜单”", "Chinese stays UCS-2 anyway; its quotes are left alone"


# --- segmentation -----------------------------------------------------------------------------------

def test_short_text_is_one_unnumbered_segment():
    s = split_sms("Hello! How can I help you?")
    assert list(s) == ["Hello! How can I help you?"] and s.encoding == GSM7 and s.limit == 160


def test_exactly_160_gsm7_characters_fit_in_one_sms_and_161_do_not():
    assert len(split_sms("a" * 150 + " " + "b" * 9)) == 1
    s = split_sms("a" * 150 + " " + "b" * 10)
    assert len(s) == 2 and all(u <= 160 for u in s.sizes())


def test_english_segments_fit_160_including_the_suffix_and_are_numbered():
    s = split_sms(EN_LONG)
    assert s.encoding == GSM7
    assert len(s) > 1
    assert all(u <= 160 for u in s.sizes()), s.sizes()
    assert_numbered(list(s))
    assert " ".join(strip_suffixes(list(s))).split() == EN_LONG.split(), "words lost or split"


def test_english_uses_as_few_segments_as_possible():
    for text in (EN_LONG, EN_LONG * 2, EN_LONG[:400], "word " * 80):
        text = text.strip()
        assert len(split_sms(text)) == greedy_word_count(text, 160), text[:40]


def test_break_prefers_the_end_of_a_sentence():
    first = "This is the first sentence, and it is fairly long so that it fills much of one message here."
    second = "The second sentence is also long enough that both together exceed one SMS by a little bit."
    s = split_sms(f"{first} {second}")
    assert strip_suffixes(list(s)) == [first, second]


def test_lines_of_a_menu_break_at_newlines():
    menu = "I can help with:\n" + "\n".join(f"{i}. Option number {i} with a longer title" for i in range(1, 7))
    s = split_sms(menu + "\nReply 1, 2, 3, 4, 5 or 6")
    assert len(s) == 2
    assert all(u <= 160 for u in s.sizes())
    for part in strip_suffixes(list(s)):
        for line in part.split("\n"):
            assert line in menu or line == "Reply 1, 2, 3, 4, 5 or 6", f"a menu line was cut: {line!r}"


def test_extension_characters_count_double_in_the_budget():
    s = split_sms("€" * 100)  # 200 septets, no spaces: hard breaks
    assert s.encoding == GSM7 and len(s) == 2
    assert all(u <= 160 for u in s.sizes())
    assert "".join(strip_suffixes(list(s))) == "€" * 100


def test_chinese_segments_fit_70_and_do_not_split_words():
    s = split_sms(ZH_LONG)
    assert s.encoding == UCS2 and s.limit == 70
    assert all(u <= 70 for u in s.sizes()), s.sizes()
    assert_numbered(list(s))
    parts = strip_suffixes(list(s))
    assert "".join(parts).replace(" ", "") == ZH_LONG.replace(" ", "")
    budget = 70 - len(suffix(len(s), len(s)))
    assert len(s) <= math.ceil(units(ZH_LONG, UCS2) / budget) + 1, "more segments than needed"
    for p in parts[1:]:
        assert p[0] not in "，。、；：！？）", f"a segment starts with punctuation: {p!r}"
    assert sum(p.count("婴儿花红") for p in parts) == ZH_LONG.count("婴儿花红"), "婴儿花红 was split across SMS"


def test_tamil_segments_fit_70_break_at_spaces_and_keep_letters_whole():
    s = split_sms(TA_LONG)
    assert s.encoding == UCS2
    assert all(u <= 70 for u in s.sizes()), s.sizes()
    assert_numbered(list(s))
    words = set(TA_LONG.split())
    for part in strip_suffixes(list(s)):
        assert set(part.split()) <= words, f"a Tamil word was cut: {part!r}"


def test_hard_break_never_separates_a_tamil_vowel_sign_from_its_consonant():
    import unicodedata

    text = "கொண்டிருக்கிறார்கள்" * 12  # one very long "word": hard breaks are needed
    s = split_sms(text)
    assert all(u <= 70 for u in s.sizes())
    for part in strip_suffixes(list(s)):
        assert not unicodedata.category(part[0]).startswith("M"), f"segment starts with a mark: {part[:3]!r}"
    assert "".join(strip_suffixes(list(s))) == text


def test_a_long_url_is_cut_only_when_it_cannot_fit():
    url = "https://www.life.gov.sg/services/" + "x" * 200
    s = split_sms(f"Open {url} to apply.")
    assert all(u <= 160 for u in s.sizes())
    assert "".join(p.replace(" ", "") for p in strip_suffixes(list(s))) == f"Open{url}toapply."


def test_many_segments_get_two_digit_numbers_within_budget():
    s = split_sms("word " * 400)
    assert len(s) >= 10
    assert all(u <= 160 for u in s.sizes())
    assert list(s)[-1].endswith(f" ({len(s)}/{len(s)})")


def test_empty_text_is_no_sms():
    assert len(split_sms("  ")) == 0


# --- Markdown → plain text --------------------------------------------------------------------------

@pytest.mark.parametrize("markdown,plain", [
    ("**Apply** now", "Apply now"),
    ("__Apply__ now", "Apply now"),
    ("Please *do* it and _today_", "Please do it and today"),
    ("***both***", "both"),
    ("~~old~~ new", "old new"),
    ("Go to [LifeSG](https://www.life.gov.sg) today", "Go to LifeSG (https://www.life.gov.sg) today"),
    ("[https://ica.gov.sg](https://ica.gov.sg)", "https://ica.gov.sg"),
    ("Call [6391 6100](tel:63916100)", "Call 6391 6100 (63916100)"),
    ("See <https://healthhub.sg>", "See https://healthhub.sg"),
    ("![Baby Bonus logo](https://x.sg/logo.png)", "Baby Bonus logo (https://x.sg/logo.png)"),
    ("# Baby Bonus\nDetails", "Baby Bonus\nDetails"),
    ("* one\n* two", "- one\n- two"),
    ("> quoted", "quoted"),
    ("Use `BR-123`", "Use BR-123"),
    ("Line one\n\n\nLine two", "Line one\nLine two"),
    ("Congratulations! 🎉👶🏽 Your baby ❤️", "Congratulations! Your baby"),
    ("Done ✅.", "Done."),
    ("a\\*b", "a*b"),
])
def test_markdown_is_stripped(markdown, plain):
    assert to_plain_text(markdown) == plain


@pytest.mark.parametrize("text", [
    "6-in-1 and 5-in-1 at 2 months",
    "$11,000 for the 1st/2nd child",
    "Your reference is NOTIF_123_ABC",
    "snake_case_name stays",
    "2*3 = 6 and 4 * 5",
    "宝宝的名字是什么？请按出生证明上的写法输入（英文字母）。",
    "குழந்தையின் தடுப்பூசிகள் & அப்பாயிண்ட்மென்ட்கள்",
    "Email me at moments_help@gov.sg",
])
def test_plain_text_is_left_alone(text):
    assert to_plain_text(text) == text


def test_a_menu_number_stays_with_its_option():
    menu = "\n".join(f"{i}. தடுப்பூசி & அப்பாயிண்ட்மென்ட் {i}" for i in range(1, 9))
    for part in strip_suffixes(list(split_sms(menu))):
        for line in part.split("\n"):
            assert not re.fullmatch(r"\d+\.", line.strip()), f"a menu number was left alone: {part!r}"


# --- items are never split (issue 14): real replies in the four languages -------------------------------

from moments.channels.segments import GSM7 as _GSM7, UCS2 as _UCS2, encoding_of as _enc, units as _units  # noqa: E402

TA_SLOTS = ("அங் மோ கியோ பலதுறை மருந்தகம் நேரங்கள்:\n1. வெள்ளி, 4 டிசம்பர், காலை 8:30\n"
            "2. வெள்ளி, 4 டிசம்பர், காலை 8:45\n3. வெள்ளி, 4 டிசம்பர், காலை 9:00\n"
            "4. வெள்ளி, 4 டிசம்பர், காலை 9:15\n5. வெள்ளி, 4 டிசம்பர், காலை 9:30\n1-5 அனுப்புங்கள்")
EN_SLOTS = ("Free times at Ang Mo Kio Polyclinic from Fri 4 Dec 2026. Which one suits you? (Or tell me another day.)\n"
            "1. Fri 4 Dec, 8:30 am\n2. Fri 4 Dec, 8:45 am\n3. Fri 4 Dec, 9:00 am\n4. Fri 4 Dec, 9:15 am\n"
            "5. Fri 4 Dec, 9:30 am\nReply 1-5")
URL = "http://127.0.0.1:45959/ica/v1/certificates/BR-37QPN23Q.1804055152.c5f2cab4ac0d1897291eaf1a7ea0ffcc"
ZH_CERT = f"办好了！Goh Jia Le 已登记，编号 BR-7Y3DQTJ0，已付 $18.00。\n出生证书（PDF，2027年3月3日（星期三） 前下载）：\n{URL}"
TA_CERT = f"முடிந்தது! Diya பதிவானது. எண் BR-SS8T5KCQ, கட்டணம் $18.00.\nசான்றிதழ் (PDF, 3 மார்ச் 2027 வரை):\n{URL}"
MS_CANCEL = ("Batal vaksinasi Nur Hana binte Muhammad Faizal pada Jumaat 4 Dis 2026, 8:30 pagi di Poliklinik "
             "Ang Mo Kio (AP-CXH9HZSP)? Jika tidak, balas 2 untuk kekalkan temujanji anda.\n1. Ya\n2. Tidak\n"
             "Balas 1 atau 2")
TA_STATUS = ("உங்கள் விண்ணப்பங்கள்:\n- பிறப்புப் பதிவு BR-SS8T5KCQ — Diya: பதிவு செய்யப்பட்டது "
             "(வியாழன், 3 டிசம்பர் 2026)\n- பேபி போனஸ் BB-8RRQB1J8 — Diya: அங்கீகரிக்கப்பட்டது")

# The SMS short forms of dates (moments.text.formatting.sms_dates), as `make sms` showed them on 4 Dec
TA_NEXT = "Arun: எல்லாம் போட்டாச்சு.\nஅடுத்து: 6-இல்-1 தவணை 1, வெள்ளி 15 ஜன. 2027 முதல்.\nமுன்பதிவு செய்யவா?\n1. ஆம்\nபதில்: 1"
ZH_NEXT = ("Goh Yu Xuan 的疫苗都打完了，没有欠打的。下一剂：6合1 第1剂，12月15日（周二）起可以打，"
           "在任何一间综合诊疗所都可以。要现在预约吗？\n1. 好\n请回复 1")

# The booking summary and the birth line of a registration summary, as `make sms --as priya` showed them on 7 Dec
TA_BOOK = ("Kavya d/o Rajesh, புதன் 9 டிச., காலை 8:45, அங் மோ கியோ பலதுறை மருந்தகம். சரியா?\n1. ஆம்\n2. இல்லை\n"
           "பதில்: 1 அல்லது 2")
TA_BORN = "Arjun Kumar (—), ஆண், 18 நவ. 11:05, மவுண்ட் அல்வெர்னியா மருத்துவமனை. தாய் Priya d/o Suresh (S302A)"


def _joined(segments):
    return [NUMBERING.sub("", p) for p in segments.parts]


NUMBERING = re.compile(r" \(\d+/\d+\)$")


@pytest.mark.parametrize("text,items", [
    (TA_SLOTS, [line for line in TA_SLOTS.split("\n") if line[:2] in ("1.", "2.", "3.", "4.", "5.")]),
    (EN_SLOTS, ["1. Fri 4 Dec, 8:30 am", "3. Fri 4 Dec, 9:00 am", "5. Fri 4 Dec, 9:30 am", "Ang Mo Kio Polyclinic",
                "Fri 4 Dec 2026"]),
    (ZH_CERT, [URL, "BR-7Y3DQTJ0", "2027年3月3日（星期三）", "Goh Jia Le"]),
    (TA_CERT, [URL, "BR-SS8T5KCQ", "3 மார்ச் 2027"]),
    (MS_CANCEL, ["Nur Hana binte Muhammad Faizal", "4 Dis 2026", "8:30", "AP-CXH9HZSP", "1. Ya", "2. Tidak"]),
    (TA_STATUS, ["BR-SS8T5KCQ", "BB-8RRQB1J8", "3 டிசம்பர் 2026"]),
    (TA_NEXT, ["15 ஜன. 2027", "1. ஆம்"]),
    (ZH_NEXT, ["12月15日（周二）", "Goh Yu Xuan"]),
    (TA_BOOK, ["அங் மோ கியோ பலதுறை மருந்தகம்", "காலை 8:45", "Kavya d/o Rajesh", "1. ஆம்"]),
    (TA_BORN, ["மவுண்ட் அல்வெர்னியா மருத்துவமனை", "18 நவ. 11:05"]),
])
def test_links_times_dates_names_references_and_options_stay_in_one_sms(text, items):
    segments = split_sms(text)
    assert len(segments) > 1, "the example must need several SMS"
    parts = _joined(segments)
    for item in items:
        assert any(item in p for p in parts), f"{item!r} was split: {parts}"
    for p in segments.parts:
        assert _units(p) <= (160 if _enc(p) == _GSM7 else 70), p


@pytest.mark.parametrize("text", [ZH_CERT, TA_CERT])
def test_a_link_in_a_chinese_or_tamil_reply_travels_in_a_gsm7_sms_of_its_own(text):
    segments = split_sms(text)
    link = next(p for p in segments.parts if URL in p)
    assert _enc(link) == _GSM7 and NUMBERING.sub("", link) == URL
    assert _enc(segments.parts[0]) == _UCS2
    # The link alone is 97 characters: in UCS-2 (70) it could only go in pieces.
    assert len(URL) > 70


def test_a_tamil_date_never_leaves_a_stray_digit_at_the_end_of_an_sms():
    text = "எந்த நாள் வேண்டும்? \"நாளை\", \"அடுத்த திங்கள்\", \"டிசம்பர் 3\" என்பது போலச் சொல்லலாம். " * 2
    for p in split_sms(text).parts:
        assert not re.search(r"\s\d\s\(\d+/\d+\)$", p), p
