"""The chat widget as a parent meets it in Chromium: greeting, login, language, messages, quick replies, reload,
a broken connection, oversized input, an expired login, logging out."""
from __future__ import annotations

import re
import time

import jwt

from moments.web.channel import SINGPASS_AUDIENCE, SINGPASS_ISSUER

LANG_BUTTONS = {"en": "English", "zh": "中文", "ms": "Melayu", "ta": "தமிழ்"}


def test_a_first_visit_is_greeted_with_a_menu_of_real_buttons(new_page):
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    assert pw.inner_text("#connection-status") == "Connected"
    assert "Moments Assistant" in page.bot_texts()[0]
    replies = pw.locator("#transcript .quick-reply")
    assert replies.count() >= 3
    assert all(tag == "BUTTON" for tag in replies.evaluate_all("els => els.map(e => e.tagName)"))
    assert pw.get_attribute("#transcript .quick-replies", "role") == "group"
    assert pw.get_attribute("#announcer", "aria-live") == "polite"
    assert "Moments Assistant said:" in pw.inner_text("#announcer"), "the greeting was announced"
    page.screenshot("01-first-visit")


def test_log_in_switch_language_talk_click_a_quick_reply_and_reload(new_page, web):
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    guest_greeting = page.session_id

    page.login("Tan Wei Ming")
    assert pw.inner_text("#logged-in-name") == "Tan Wei Ming"
    tan = web.person("Tan Wei Ming")
    token = page.identity()["token"]
    assert jwt.decode(token, web.servers.secrets["AGENCIES_TOKEN_SECRET"], algorithms=["HS256"], audience=SINGPASS_AUDIENCE,
                      issuer=SINGPASS_ISSUER)["sub"] == tan["id"]

    # The language picker: page texts, the lang attribute and the bot's language change together.
    pw.click("button[data-lang=zh]")
    page.wait_idle()
    assert pw.evaluate("document.documentElement.lang") == "zh"
    assert pw.inner_text("h1") == "宝宝出生后的办事帮手"
    assert pw.get_attribute("button[data-lang=zh]", "aria-pressed") == "true"
    assert pw.inner_text("#connection-status") == "已连接"
    assert "好的，从现在开始我会用中文回复您。" in page.bot_texts()
    assert web.tracker(page.session_id)["slots"]["language"] == "zh"
    assert pw.get_by_role("button", name="Baby Bonus").count() == 0, "the English menu is retired"

    # A quick reply from the menu, offered again in Chinese, is a button; its title shows as what the user said.
    pw.get_by_role("button", name="婴儿花红").click()
    page.wait_idle()
    assert page.user_texts()[-1] == "婴儿花红"
    assert re.search(r"[\u4e00-\u9fff]", page.bot_texts()[-1]), "the answer is in Chinese"
    assert pw.get_by_role("button", name="婴儿花红").count() == 0, "used quick replies are gone"

    # A typed message, in Chinese.
    page.say("宝宝什么时候要打疫苗？")
    answer = page.bot_texts()[-1]
    assert answer == web.bot_texts(page.session_id)[-1]
    assert re.search(r"[\u4e00-\u9fff]", answer), answer
    page.screenshot("02-logged-in-chinese")

    # What is kept of each message after login: who (person_id), the channel and the language — never the token,
    # which the actions saw during the turn and the tracker store drops (issue 11).
    events = web.user_events(page.session_id)
    assert page.session_id == guest_greeting, "logging in kept the conversation"
    assert "person_id" not in events[0]["metadata"], "the greeting was sent before logging in"
    last = events[-1]["metadata"]
    assert "token" not in last
    assert (last["person_id"], last["channel"], last["language"]) == (tan["id"], "web", "zh")

    # A reload keeps the conversation, the login (this tab), the language and the Rasa session.
    before = page.transcript()
    pw.reload()
    page.wait_connected()
    assert page.transcript() == before
    assert page.session_id == guest_greeting
    assert pw.inner_text("#logged-in-name") == "Tan Wei Ming"
    assert pw.evaluate("document.documentElement.lang") == "zh"
    page.say("谢谢")
    assert len(web.user_events(page.session_id)) == len(events) + 1, "the same Rasa conversation goes on"
    page.screenshot("03-after-reload")


def test_messages_survive_a_broken_connection_and_are_sent_once(new_page, web):
    page = new_page().open("?lang=ms")
    page.wait_greeted()
    pw = page.pw
    # Break the socket and keep it down for a moment, so the user types while disconnected.
    pw.evaluate("""() => { const m = window.momentsChat.socket.io;
                           m.reconnectionDelay(2500); m.reconnectionDelayMax(2500); m.engine.close(); }""")
    pw.wait_for_function("() => document.getElementById('connection-status').dataset.state === 'reconnecting'")
    assert pw.inner_text("#connection-status").startswith("Sambungan terputus")
    pw.fill("#chat-input", "berapa bonus bayi untuk anak pertama")
    pw.press("#chat-input", "Enter")
    pw.press("#chat-input", "Enter")  # a second Enter on the now empty box sends nothing
    assert pw.inner_text("#transcript .msg-user:last-child .msg-state") == "Sedang dihantar…"
    page.screenshot("04-reconnecting-malay")
    page.wait_idle()
    assert pw.inner_text("#connection-status") == "Disambungkan"
    texts = [e["text"] for e in web.user_events(page.session_id)]
    assert texts.count("berapa bonus bayi untuk anak pertama") == 1

    # Re-sending an acknowledged message id (what happens when an acknowledgement is lost) changes nothing.
    first_id = pw.evaluate("window.momentsChat.state.history.find(e => e.from === 'user').id")
    ack = pw.evaluate("""id => new Promise(resolve => window.momentsChat.socket.emit('user_uttered',
        {message: 'berapa bonus bayi untuk anak pertama', session_id: window.momentsChat.state.session_id,
         customData: {message_id: id}}, resolve))""", first_id)
    assert ack == {"ok": True, "duplicate": True}
    assert len(web.user_events(page.session_id)) == len(texts)

    # A double click on a quick reply sends it once.
    page.say("menu")
    n = len(web.user_events(page.session_id))
    pw.locator("#transcript .quick-reply").first.dblclick()
    page.wait_idle()
    assert len(web.user_events(page.session_id)) == n + 1


def test_oversized_input_is_limited_with_a_message_in_the_page_language(new_page, web):
    page = new_page().open("?lang=ta")
    page.wait_greeted()
    pw = page.pw
    pw.fill("#chat-input", "அ" * 1500)
    value = pw.input_value("#chat-input")
    limit = pw.inner_text("#chat-limit")
    assert "1000" in limit and "எழுத்துகள்" in limit, limit
    pw.press("#chat-input", "Enter")
    page.wait_idle()
    assert len(value) <= 1000 or pw.input_value("#chat-input") == value, "nothing over the limit is sent"
    assert all(len(e["text"]) <= 1000 for e in web.user_events(page.session_id))
    pw.fill("#chat-input", "x" * 950)
    assert pw.inner_text("#chat-limit") == "இன்னும் 50 எழுத்துகள் எழுதலாம்"


def test_an_expired_login_falls_back_to_a_guest_and_says_so(new_page, web):
    page = new_page()
    now = int(time.time())
    expired = jwt.encode({"iss": SINGPASS_ISSUER, "aud": SINGPASS_AUDIENCE, "sub": web.person("Lim Hui Min")["id"],
                          "iat": now - 3600, "exp": now - 60}, web.servers.secrets["AGENCIES_TOKEN_SECRET"],
                         algorithm="HS256")
    # The tab believes it is still logged in (its clock says the token is valid); the server knows better.
    page.pw.add_init_script(f"""window.sessionStorage.setItem('moments.identity.v1', JSON.stringify(
        {{token: '{expired}', expiresAt: Date.now() + 600000, expired: false,
          person: {{id: 'someone', name: 'Lim Hui Min'}}}}));""")
    page.open()
    page.wait_greeted()
    pw = page.pw
    assert pw.inner_text("#login-message") == "Your login has expired. Please log in again to continue with your records."
    assert pw.is_visible("#login-form")
    assert all("token" not in e["metadata"] for e in web.user_events(page.session_id))


def test_logging_out_clears_the_conversation_and_another_tab_does_not_see_it(new_page, web):
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    page.login("Priya d/o Suresh")
    page.say("how much is the baby bonus")
    old_session = page.session_id

    # Another tab (same browser, no login in it): the logged-in conversation is not shown there.
    other = new_page(context=pw.context).open()
    other.wait_greeted()
    assert other.session_id != old_session
    assert "how much is the baby bonus" not in other.transcript()

    pw.bring_to_front()
    pw.click("#logout-button")
    page.wait_greeted()
    assert page.session_id != old_session
    assert "how much is the baby bonus" not in page.transcript()
    assert pw.inner_text("#login-message").startswith("You have logged out")
    assert page.identity() is None


def test_every_page_text_exists_in_all_four_languages(new_page):
    page = new_page().open()
    pw = page.pw
    keys = pw.evaluate("Object.fromEntries(Object.entries(window.MOMENTS_TEXTS).map(([l, t]) => [l, Object.keys(t).sort()]))")
    assert keys["zh"] == keys["ms"] == keys["ta"] == keys["en"]
    used = set(pw.eval_on_selector_all("[data-i18n]", "els => els.map(e => e.dataset.i18n)"))
    assert used <= set(keys["en"])
    for lang, label in LANG_BUTTONS.items():
        pw.click(f"button[data-lang={lang}]")
        assert pw.evaluate("document.documentElement.lang") == lang
        assert pw.get_attribute(f"button[data-lang={lang}]", "lang") == lang
        texts = pw.eval_on_selector_all("[data-i18n]", "els => els.map(e => e.textContent)")
        expected = pw.evaluate(f"Array.from(document.querySelectorAll('[data-i18n]')).map(e => MOMENTS_TEXTS['{lang}'][e.dataset.i18n])")
        assert texts == expected
        assert pw.title() == pw.evaluate(f"MOMENTS_TEXTS['{lang}'].page_title")
    page.wait_idle()


def test_each_message_is_tagged_with_the_language_it_is_written_in(new_page):
    """Not by the page's language, and not "ta" for any message with one Tamil word in it: the English greeting
    names "தமிழ்" and stays English; a Malay answer on the English page is Malay."""
    page = new_page().open("?lang=en")
    page.wait_greeted()
    pw = page.pw
    messages = {
        "g-en": ("bot", "Hello! I'm Moments Assistant. You can write to me in English, 中文, Bahasa Melayu or தமிழ்."),
        "g-zh": ("bot", "您好！我是 Moments Assistant。您可以用 English、中文、Bahasa Melayu 或 தமிழ் 跟我聊。"),
        "g-ta": ("bot", "வணக்கம்! நான் Moments Assistant, உங்களுக்கு உதவுவேன்."),
        "a-ms": ("bot", "Anda belum memohon untuk Adam: saya boleh bantu anda memohon sekarang."),
        "u-ms": ("user", "berapa bonus bayi untuk anak pertama"),
        "u-en": ("user", "how much is the baby bonus"),
    }
    pw.evaluate("""(entries) => { const c = window.momentsChat;
        for (const [id, [from, text]] of Object.entries(entries)) c.state.history.push({id, from, text});
        c.render(); }""", messages)
    langs = pw.evaluate("""(ids) => ids.map((id) => {
        const b = document.querySelector(`#transcript li[data-id="${id}"] .bubble`); return b && b.lang; })""",
                        list(messages))
    assert dict(zip(messages, langs)) == {"g-en": "en", "g-zh": "zh", "g-ta": "ta", "a-ms": "ms", "u-ms": "ms",
                                          "u-en": "en"}


def test_the_birth_certificate_link_is_read_by_its_label_not_its_address(new_page):
    page = new_page().open("?lang=zh")
    page.wait_greeted()
    pw = page.pw
    url = "http://127.0.0.1:1/ica/v1/certificates/BR-37QPN23Q.1804055152.c5f2cab4ac0d1897291eaf1a7ea0ffcc"
    text = f"办好了！链接在 2027年3月3日 之前有效，请保存一份：[下载出生证书（PDF）]({url})"
    pw.evaluate("""(text) => { const c = window.momentsChat;
        c.state.history.push({id: "cert", from: "bot", text}); c.render(); }""", text)
    link = pw.evaluate("""() => { const a = document.querySelector('#transcript li[data-id="cert"] .bubble a');
        return {href: a.href, text: a.firstChild.textContent, bubble: a.parentElement.textContent}; }""")
    assert link["href"] == url and link["text"] == "下载出生证书（PDF）"
    assert url not in link["bubble"] and "](" not in link["bubble"]
