"""Unit tests: numbered menus, how replies are understood, and the channel's own texts in four languages."""
import pytest

from moments.channels.gateway import render_turn
from moments.channels.menus import (
    LANGUAGES,
    Kind,
    Menu,
    Option,
    _texts,
    channel_text,
    edit_distance,
    reply_hint,
    select,
)
from moments.channels.segments import GSM7, encoding_of
from moments.nlu.scripts import count_scripts

HELP_BUTTONS = {
    "en": ["Register a birth", "Baby Bonus", "Vaccinations & appointments", "Check my applications",
           "Talk to a person"],
    "zh": ["出生登记", "婴儿花红", "疫苗和预约", "查看我的申请", "找真人服务"],
    "ms": ["Daftar kelahiran", "Bonus Bayi", "Vaksin & temujanji", "Semak permohonan saya", "Bercakap dengan pegawai"],
    "ta": ["பிறப்பைப் பதிவு செய்ய", "பேபி போனஸ்", "தடுப்பூசிகள் & அப்பாயிண்ட்மென்ட்கள்",
           "என் விண்ணப்பங்களின் நிலை", "ஒருவரிடம் நேரடியாகப் பேச"],
}
PAYLOADS = ["/register_birth", "/ask_baby_bonus", "/ask_vaccination_schedule", "/check_status", "/human_handoff"]


def help_menu(lang):
    return Menu([Option(t, p) for t, p in zip(HELP_BUTTONS[lang], PAYLOADS)], lang)


# --- the channel's own texts ------------------------------------------------------------------------

TEXT_KEYS = [k for k, v in _texts().items() if isinstance(v, dict) and k != "journeys"]
JOURNEY_KEYS = sorted(_texts()["journeys"])


@pytest.mark.parametrize("key", TEXT_KEYS)
def test_every_channel_text_exists_in_the_four_languages_and_scripts(key):
    texts = _texts()[key]
    assert set(texts) == set(LANGUAGES), f"{key} has {sorted(texts)}"
    if key in ("separator", "or"):
        return
    assert count_scripts(texts["zh"]).han > 0, f"{key}/zh is not Chinese"
    assert count_scripts(texts["ta"]).tamil > 0, f"{key}/ta is not Tamil"
    assert texts["ms"] != texts["en"], f"{key}/ms is the English text"
    for lang in ("en", "ms"):
        assert encoding_of(texts[lang]) == GSM7, f"{key}/{lang} would force UCS-2 (70 characters per SMS)"


@pytest.mark.parametrize("form", JOURNEY_KEYS)
def test_every_journey_name_exists_in_the_four_languages_and_scripts(form):
    texts = _texts()["journeys"][form]
    assert set(texts) == set(LANGUAGES), f"{form} has {sorted(texts)}"
    assert count_scripts(texts["zh"]).han > 0 and count_scripts(texts["ta"]).tamil > 0, form
    assert texts["ms"] != texts["en"] and all(encoding_of(texts[lang]) == GSM7 for lang in ("en", "ms")), form


@pytest.mark.parametrize("lang,n,hint", [
    ("en", 3, "Reply 1-3"),
    ("zh", 3, "请回复 1-3"),
    ("ms", 3, "Balas 1-3"),
    ("ta", 3, "பதில்: 1-3"),
    ("zh", 2, "请回复 1 或 2"),
    ("ta", 2, "பதில்: 1 அல்லது 2"),
    ("en", 2, "Reply 1 or 2"),
    ("en", 1, "Reply 1"),
    ("ms", 5, "Balas 1-5"),
    ("en", 6, "Reply 1-6"),
    ("zh", 4, "请回复 1-4"),
    ("ta", 6, "பதில்: 1-6"),
    (None, 2, "Reply 1 or 2"),
    ("xx", 2, "Reply 1 or 2"),
])
def test_reply_hint_in_the_users_language(lang, n, hint):
    assert reply_hint(n, lang) == hint


def test_no_such_option_text_names_the_number():
    assert channel_text("no_such_option", "zh", choice=7) == "对不起，没有选项 7。"
    assert "7" in channel_text("no_such_option", "ta", choice=7)


# --- rendering a turn -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_buttons_become_a_numbered_menu_with_the_hint_last(lang):
    buttons = [{"title": t, "payload": p} for t, p in zip(HELP_BUTTONS[lang], PAYLOADS)]
    turn = render_turn([{"text": "**Hello**"}, {"text": "Pick one:", "buttons": buttons}], lang)
    lines = turn.text.split("\n")
    assert lines[0] == "Hello" and lines[1] == "Pick one:"
    assert lines[2:7] == [f"{i}. {t}" for i, t in enumerate(HELP_BUTTONS[lang], 1)]
    assert lines[7] == f"6. {channel_text('forget_me_option', lang)}"  # the main menu's "forget me" (SMS only)
    assert lines[8] == reply_hint(6, lang)
    assert turn.menu.options == help_menu(lang).options + [Option(channel_text("forget_me_option", lang), "/forget_me")]


def test_a_turn_without_buttons_has_no_menu_and_no_hint():
    turn = render_turn([{"text": "What is your baby's name?"}], "en")
    assert turn.text == "What is your baby's name?" and turn.menu is None


def test_images_and_custom_text_are_shown_as_text():
    turn = render_turn([{"image": "https://x.sg/a.png"}, {"custom": {"text": "_Hi_"}}, {"custom": {"x": 1}}], "en")
    assert turn.text == "https://x.sg/a.png\nHi"


# --- understanding replies --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("typed", ["2", " 2 ", "2.", "#2", "２", "(2)"])
def test_a_digit_picks_the_option(lang, typed):
    s = select(typed, help_menu(lang))
    assert (s.kind, s.message, s.number) == (Kind.OPTION, "/ask_baby_bonus", 2)


@pytest.mark.parametrize("typed", ["6", "9", "12", "99"])
def test_a_number_not_on_the_menu_is_reported(typed):
    s = select(typed, help_menu("en"))
    assert s.kind is Kind.NO_SUCH_OPTION and s.number == int(typed)


@pytest.mark.parametrize("lang,typed,payload", [
    ("en", "baby bonus", "/ask_baby_bonus"),
    ("en", "BABY   BONUS!", "/ask_baby_bonus"),
    ("en", "bby bonus", "/ask_baby_bonus"),                  # one typo
    ("en", "register a brith", "/register_birth"),           # transposition
    ("en", "Vaccinations appointments", "/ask_vaccination_schedule"),
    ("zh", "婴儿花红", "/ask_baby_bonus"),
    ("zh", "出生登記", "/register_birth"),                    # traditional character: one "typo"
    ("ms", "bonus bayi", "/ask_baby_bonus"),
    ("ms", "daftar kelahiran", "/register_birth"),
    ("ta", "பேபி போனஸ்", "/ask_baby_bonus"),
    ("ta", "பேபி  போனஸ்", "/ask_baby_bonus"),
])
def test_the_options_words_pick_it(lang, typed, payload):
    s = select(typed, help_menu(lang))
    assert (s.kind, s.message) == (Kind.OPTION, payload), s


@pytest.mark.parametrize("typed", ["0", "menu", "MENU", "Main Menu", "menu utama", "菜单", "主菜单", "பட்டியல்", "மெனு", "０"])
def test_menu_words_in_any_language_go_to_the_main_menu(typed):
    for menu in (help_menu("en"), None):
        s = select(typed, menu)
        assert (s.kind, s.message) == (Kind.MAIN_MENU, "/help")


@pytest.mark.parametrize("typed", ["how much is the baby bonus", "bonus", "hello", "2 children", "ok", "是"])
def test_anything_else_is_sent_as_typed(typed):
    s = select(typed, help_menu("en"))
    assert (s.kind, s.message) == (Kind.TEXT, typed)


def test_without_a_menu_a_digit_is_just_text():
    s = select("2", None)
    assert (s.kind, s.message) == (Kind.TEXT, "2"), "a number answering a question must reach Rasa as typed"


def test_an_ambiguous_fuzzy_match_picks_nothing():
    menu = Menu([Option("Book", "/a"), Option("Boot", "/b"), Option("Bonus plan", "/c"), Option("Bonus plat", "/d")])
    assert select("Bonus plax", menu).kind is Kind.TEXT


def test_short_titles_need_an_exact_match():
    menu = Menu([Option("Yes", "/affirm"), Option("No", "/deny")])
    assert select("yes", menu).message == "/affirm"
    assert select("yet", menu).kind is Kind.TEXT


def test_edit_distance():
    assert edit_distance("babybonus", "babybonus") == 0
    assert edit_distance("bbybonus", "babybonus") == 1
    assert edit_distance("bayb", "baby") == 1
    assert edit_distance("abc", "xyzabc", cap=2) == 3


def test_menu_round_trips_through_json():
    menu = help_menu("ta")
    assert Menu.from_json(menu.to_json()) == menu


@pytest.mark.parametrize("lang,options,typed,picked", [
    ("ms", ["Tukar tarikh", "Batal temujanji"], "batal", 2),
    ("ta", ["தேதி மாற்று", "ரத்து செய்"], "ரத்து", 2),
    ("zh", ["改期", "取消预约"], "取消", 2),
    ("en", ["Move an appointment", "Cancel an appointment"], "cancel", 2),
])
def test_the_first_word_of_one_option_picks_it(lang, options, typed, picked):
    menu = Menu([Option(t, f"/p{i}") for i, t in enumerate(options, 1)], lang)
    chosen = select(typed, menu)
    assert chosen.kind is Kind.OPTION and chosen.number == picked


def test_a_first_word_shared_by_two_options_picks_neither():
    menu = Menu([Option("Yes, register", "/affirm"), Option("Yes, later", "/later")], "en")
    assert select("yes", menu).kind is Kind.TEXT


# --- a list of times on the same day: the day once ----------------------------------------------------------------

from moments.channels.gateway import render_turn, shared_prefix  # noqa: E402
from moments.text.formatting import sms_dates  # noqa: E402


@pytest.mark.parametrize("lang,titles,head,first", [
    ("en", ["Fri 4 Dec, 8:30 am", "Fri 4 Dec, 8:45 am", "Fri 4 Dec, 9:00 am"], "Fri 4 Dec:", "1. 8:30 am"),
    ("ta", ["வெள்ளி, 4 டிசம்பர், காலை 8:30", "வெள்ளி, 4 டிசம்பர், காலை 8:45", "வெள்ளி, 4 டிசம்பர், காலை 9:00"],
     "வெள்ளி 4 டிச., காலை:", "1. 8:30"),  # by SMS the short date (tests/channels/test_sms_dates.py)
])
def test_options_that_share_their_start_show_it_once_and_keep_their_full_titles(lang, titles, head, first):
    turn = render_turn([{"text": "Free times:", "buttons": [{"title": t, "payload": str(i)}
                                                            for i, t in enumerate(titles, 1)]}], lang)
    lines = turn.text.split("\n")
    assert lines[1] == head and lines[2] == first, lines
    # typing the full title, as the SMS showed it, still picks it
    assert [o.title for o in turn.menu.options] == [sms_dates(t, lang) for t in titles]


def test_two_options_or_no_common_start_are_listed_as_they_are():
    assert shared_prefix(["Fri 4 Dec, 8:30 am", "Fri 4 Dec, 8:45 am"]) == ""
    assert shared_prefix(["Ang Mo Kio Polyclinic", "Toa Payoh Polyclinic", "Queenstown Polyclinic"]) == ""
    assert shared_prefix(["Yes, register", "Yes, later", "Yes, now"]) == ""
