"""The widget's loose ends of issue 14, as a parent meets them in Chromium on the real stack: a language switch
that leaves the old menu behind, answers scrolled past their start at 200 % zoom, a chat 1,000 px down a phone
page, no times on messages, a lost connection out of sight while typing."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

ENGLISH_MENU = ("Register a birth", "Baby Bonus", "Talk to a person")
CHINESE_MENU = ("出生登记", "婴儿花红")


def reply_titles(page):
    return page.pw.eval_on_selector_all("#transcript .quick-reply", "els => els.map(e => e.innerText)")


def test_a_language_switch_retires_the_old_menu_and_offers_it_again_in_the_new_language(new_page, web):
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    assert set(ENGLISH_MENU) <= set(reply_titles(page))

    pw.click("button[data-lang=zh]")
    page.wait_idle()
    pw.wait_for_selector("#transcript .quick-reply")
    titles = reply_titles(page)
    assert not set(ENGLISH_MENU) & set(titles), f"the English menu is still on screen: {titles}"
    assert set(CHINESE_MENU) <= set(titles), titles
    assert pw.locator("#transcript .quick-reply:disabled").count() == 0
    assert pw.locator("#transcript .quick-replies").count() == 1, "one menu, the new one"
    assert re.search(r"[\u4e00-\u9fff]", page.bot_texts()[-1]), "the menu's own text is in Chinese"
    assert page.user_texts() == [], "asking for the menu again is not shown as something the user said"
    assert web.tracker(page.session_id)["slots"]["language"] == "zh"

    # The old menu does not come back on a reload, and the new one works.
    pw.reload()
    page.wait_connected()
    assert not set(ENGLISH_MENU) & set(reply_titles(page))
    pw.get_by_role("button", name="婴儿花红").click()
    page.wait_idle()
    assert page.user_texts()[-1] == "婴儿花红"
    assert re.search(r"[\u4e00-\u9fff]", page.bot_texts()[-1])


def test_a_language_switch_inside_a_form_re_asks_its_question_without_the_menu(new_page, web):
    """In a form the bot re-asks its own question (with its buttons) in the new language: no menu on top of it."""
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    page.login("Priya d/o Suresh")
    page.say("how much baby bonus will my child get")
    consent = reply_titles(page)
    assert "Yes" in consent, consent
    pw.click("button[data-lang=ms]")
    page.wait_idle()
    titles = reply_titles(page)
    assert "Yes" not in titles and "Ya" in titles, titles
    assert "Bonus Bayi" not in titles, "no menu in the middle of a question"


def geometry(pw, selector):
    return pw.evaluate("""(sel) => {
        const li = document.querySelector(sel), t = document.getElementById('transcript');
        const r = li.getBoundingClientRect(), tr = t.getBoundingClientRect();
        return {top: r.top, height: r.height, tTop: tr.top, tBottom: tr.bottom, tHeight: t.clientHeight,
                window: window.innerHeight};
    }""", selector)


def test_at_200_percent_zoom_with_larger_text_the_answer_is_shown_from_its_start(new_page):
    # 200 % zoom of a 1280 x 800 window: 640 x 400 CSS pixels.
    page = new_page(viewport={"width": 640, "height": 400}, device_scale_factor=2).open("?lang=ta")
    page.wait_greeted()
    pw = page.pw
    pw.click("#large-text")
    page.say("குழந்தையின் தடுப்பூசி அட்டவணை என்ன?")
    first_answer = pw.evaluate("""() => { const h = window.momentsChat.state.history;
        let i = h.length - 1; while (h[i].from !== 'user') i--; return h[i + 1].id; }""")
    g = geometry(pw, f'#transcript li[data-id="{first_answer}"]')
    assert g["height"] > g["tHeight"], f"the schedule should be longer than the transcript's window: {g}"
    assert g["tTop"] - 1 <= g["top"] <= g["tTop"] + 24, f"the answer's first line is not at the top of the transcript: {g}"
    assert 0 <= g["top"] and g["top"] + 40 <= g["window"], f"the answer's start is off the screen: {g}"
    page.screenshot("20-zoom-200-answer-start")

    # Typing again brings the message box back (the browser scrolls to the caret).
    pw.keyboard.type("menu")
    assert pw.evaluate("""() => { const r = document.getElementById('chat-input').getBoundingClientRect();
        return r.top < window.innerHeight && r.bottom > 0; }""")
    pw.keyboard.press("Enter")
    page.wait_idle()

    # Switching the text size keeps the latest message in view (not the old one at the same pixel offset).
    for _ in range(2):
        pw.click("#large-text")
        g = geometry(pw, "#transcript li:last-child")
        assert g["tTop"] - 1 <= g["top"] < g["tBottom"] - 20, f"the latest message is out of view: {g}"


def test_on_a_360_px_phone_a_visible_link_near_the_top_goes_to_the_chat(new_page):
    page = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=3, is_mobile=True,
                    has_touch=True).open("?lang=ms")
    page.wait_greeted()
    pw = page.pw
    box = pw.evaluate("""() => { const a = document.getElementById('jump-to-chat').getBoundingClientRect();
        const c = document.getElementById('chat').getBoundingClientRect();
        return {top: a.top, bottom: a.bottom, height: a.height, chat: c.top}; }""")
    assert box["chat"] > 740, "precondition: the chat starts below the first screen"
    assert box["height"] >= 24 and box["bottom"] <= 740, f"the link is not on the first screen: {box}"
    assert pw.inner_text("#jump-to-chat") == "Pergi ke ruang sembang ↓"
    pw.tap("#jump-to-chat")
    assert page.focused()["id"] == "chat-input"
    seen = pw.evaluate("""() => { const i = document.getElementById('chat-input').getBoundingClientRect();
        const t = document.getElementById('transcript').getBoundingClientRect();
        return {input: [i.top, i.bottom], transcript: [t.top, t.bottom]}; }""")
    assert 0 <= seen["input"][0] and seen["input"][1] <= 740, seen
    assert seen["transcript"][1] > 100, f"the latest messages are not in view: {seen}"

    # "N suggested replies" says where they are: above the message box, where they really are.
    said = pw.inner_text("#announcer")
    assert "di atas kotak mesej" in said, said
    assert pw.evaluate("""() => { const input = document.getElementById('chat-input');
        const t = document.getElementById('transcript');
        return t.getBoundingClientRect().bottom <= input.getBoundingClientRect().top     // on screen: above
          && Array.from(t.querySelectorAll('.quick-reply')).every(                        // in reading order: before
               b => b.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    page.screenshot("21-phone-jump-to-chat")


def test_the_link_to_the_chat_is_not_shown_where_the_chat_is_beside_the_text(new_page):
    page = new_page().open()
    assert not page.pw.is_visible("#jump-to-chat")
    page.wait_idle()


def test_messages_carry_their_local_time_and_a_machine_readable_datetime(new_page):
    page = new_page(timezone_id="Asia/Singapore").open("?lang=zh")
    page.wait_greeted()
    pw = page.pw
    page.say("谢谢")
    times = pw.eval_on_selector_all("#transcript li time", "els => els.map(e => [e.dateTime, e.innerText])")
    assert len(times) == pw.locator("#transcript li").count(), "every message has a time"
    now = datetime.now(timezone.utc)
    for stamp, shown in times:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert abs(now - when) < timedelta(minutes=5), stamp
        local = when.astimezone(timezone(timedelta(hours=8)))
        assert f"{local.minute:02d}" in shown and str(local.hour % 12 or 12) in shown, (stamp, shown)
    # A reload keeps the times (they are part of the kept conversation).
    pw.reload()
    page.wait_connected()
    assert pw.eval_on_selector_all("#transcript li time", "els => els.map(e => [e.dateTime, e.innerText])") == times


def test_a_lost_connection_is_said_next_to_the_message_box_while_typing(new_page):
    page = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=3, is_mobile=True,
                    has_touch=True).open()
    page.wait_greeted()
    pw = page.pw
    pw.focus("#chat-input")
    pw.keyboard.type("how much is the baby bonus")
    pw.evaluate("""() => { const m = window.momentsChat.socket.io;
                           m.reconnectionDelay(2500); m.reconnectionDelayMax(2500); m.engine.close(); }""")
    pw.wait_for_function("() => document.getElementById('connection-status').dataset.state === 'reconnecting'")
    pw.keyboard.type(" for my first child")
    where = pw.evaluate("""() => { const s = document.getElementById('connection-status').getBoundingClientRect();
        const i = document.getElementById('chat-input').getBoundingClientRect();
        return {status: [s.top, s.bottom], input: [i.top, i.bottom], window: window.innerHeight}; }""")
    assert 0 <= where["status"][0] and where["status"][1] <= where["window"], f"the status is off screen: {where}"
    assert abs(where["input"][0] - where["status"][1]) < 40, f"the status is not next to the message box: {where}"
    assert pw.inner_text("#connection-status").startswith("Connection lost")
    assert pw.get_attribute("#connection-status", "role") == "status"
    page.screenshot("22-phone-connection-lost-while-typing")
    pw.keyboard.press("Enter")
    page.wait_idle()
    assert pw.inner_text("#connection-status") == "Connected"


# --- logging in, and reaching a person without logging in ----------------------------------------------------------

from rasa.shared.core.domain import Domain  # noqa: E402

from testkit import ROOT  # noqa: E402

RESPONSES = Domain.load(str(ROOT / "domain")).as_dict()["responses"]
LANGS = ("en", "zh", "ms", "ta")
WRONG_PLACE = re.compile(r"top of the page|页面最上方|bahagian atas halaman|பக்கத்தின் மேலே")


def web_text(name, lang, guest=False):
    """The variation the web widget gets: a guest's (channel socketio, logged_in false) or everyone's."""
    for v in RESPONSES[name]:
        conds = {c["name"]: c["value"] for c in v.get("condition") or []}
        if guest != (v.get("channel") == "socketio" and conds.get("logged_in") is False):
            continue
        if v.get("channel") not in (None, "socketio"):
            continue
        if conds.get("language", "en") == lang and (guest or "logged_in" not in conds):
            return v["text"]
    raise AssertionError(f"{name} has no web text in {lang} (guest={guest})")


def test_the_login_texts_name_the_login_box_and_its_button_as_the_page_labels_them(new_page):
    page = new_page().open()
    pw = page.pw
    labels = pw.evaluate("""() => Object.fromEntries(Object.entries(window.MOMENTS_TEXTS).map(
        ([l, t]) => [l, [t.login_heading, t.login_button]]))""")
    for name in ("utter_login_required", "utter_baby_bonus_login_for_personal"):
        for lang in LANGS:
            text = web_text(name, lang)
            heading, button = labels[lang]
            assert heading in text and button in text, f"{name}/{lang} does not name {heading!r} / {button!r}: {text}"
            assert not WRONG_PLACE.search(text), f"{name}/{lang}: the login is not at the top of the page: {text}"
            assert "](#login)" in text, f"{name}/{lang} has no link to the login"
    # Where the texts say it is: beside the chat on a wide screen ...
    wide = pw.evaluate("""() => [document.querySelector('.login-card').getBoundingClientRect().right,
                                 document.getElementById('chat').getBoundingClientRect().left]""")
    assert wide[0] <= wide[1], wide
    page.wait_idle()
    # ... and above it on a phone.
    phone = new_page(viewport={"width": 360, "height": 740}, is_mobile=True).open()
    tall = phone.pw.evaluate("""() => [document.querySelector('.login-card').getBoundingClientRect().bottom,
                                       document.getElementById('chat').getBoundingClientRect().top]""")
    assert tall[0] <= tall[1], tall
    phone.wait_idle()


def test_a_guest_asked_to_log_in_gets_a_link_that_moves_to_the_login(new_page):
    page = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=3, is_mobile=True,
                    has_touch=True).open("?lang=ms")
    page.wait_greeted()
    pw = page.pw
    page.say("saya nak daftar kelahiran anak saya")
    link = pw.locator("#transcript .msg-bot:last-child .bubble a.page-link")
    assert link.inner_text() == "Pergi ke log masuk"
    bubble = pw.inner_text("#transcript .msg-bot:last-child .bubble")
    assert "Log masuk dengan Singpass (demo)" in bubble and "](#" not in bubble, bubble
    assert "](#login)" not in pw.inner_text("#announcer"), "the screen reader hears the link's label only"
    link.tap()
    assert page.focused()["id"] == "person-select"
    box = pw.evaluate("document.getElementById('person-select').getBoundingClientRect().toJSON()")
    assert 0 <= box["top"] and box["bottom"] <= 740, f"the login is not in view: {box}"
    page.screenshot("23-phone-go-to-login")


def handoff_button(lang):
    [title] = [b["title"] for v in RESPONSES["utter_help"]
               if not v.get("channel") and {c["value"] for c in v.get("condition") or [] if c["name"] == "language"} == ({lang} if lang != "en" else set())
               for b in v.get("buttons", []) if b["payload"] == "/human_handoff"]
    return title


def test_a_guest_who_asks_for_a_person_is_given_the_hotlines_in_their_language(new_page, web):
    page = new_page().open("?lang=ta")
    page.wait_greeted()
    pw = page.pw
    pw.get_by_role("button", name=handoff_button("ta")).click()
    page.wait_idle()
    text = page.bot_texts()[-1]
    reference = web.tracker(page.session_id)["slots"]["handoff_reference"]
    assert reference and reference in text, text
    for number in ("6391 6100", "1800 253 7707", "healthhub.sg"):
        assert number in text, f"{number} missing: {text}"
    assert re.search(r"[\u0b80-\u0bff]", text) and "உள்நுழையவில்லை" in text, "said in Tamil, and why"
    assert pw.locator("#transcript .msg-bot:last-child a.page-link").count() == 1, "a link to the login"
    page.screenshot("24-guest-handoff-tamil")

    # Logged in, the same request is one an officer follows up (no guest text).
    page.login("Rajesh s/o Kumar")
    page.say("I want to talk to a person")
    text = page.bot_texts()[-1]
    assert web.tracker(page.session_id)["slots"]["handoff_reference"] in text
    assert "உள்நுழையவில்லை" not in text and "not logged in" not in text, text


def test_the_guest_handoff_texts_give_a_way_to_reach_a_person_in_every_language():
    numbers = {"ica": ["6391 6100"], "msf": ["1800 253 7707"], "polyclinic": ["healthhub.sg"],
               "general": ["6391 6100", "1800 253 7707", "healthhub.sg"]}
    for agency, wanted in numbers.items():
        for lang in LANGS:
            text = web_text(f"utter_handoff_{agency}", lang, guest=True)
            assert all(n in text for n in wanted), (agency, lang, text)
            assert "{handoff_reference}" in text and "](#login)" in text, (agency, lang, text)


def test_axe_finds_no_violation_with_the_new_parts_on_screen(new_page):
    """Times, the jump button, a page link and the connection line by the box: axe-core finds nothing at all."""
    page = new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
                    bypass_csp=True).open("?lang=zh")
    page.wait_greeted()
    pw = page.pw
    page.say("我要登记宝宝的出生")
    assert pw.locator("#transcript a.page-link").count() == 1
    pw.evaluate("window.momentsChat.setStatus('reconnecting')")
    violations = page.axe()
    assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    pw.evaluate("window.momentsChat.setStatus('connected')")
