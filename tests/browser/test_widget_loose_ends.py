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
