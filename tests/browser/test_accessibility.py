"""Accessibility for older eyes, keyboards and screen readers: axe-core finds no serious or critical violation,
the whole journey works with the keyboard alone with a visible focus ring, and the page reflows at 360 px,
320 px and 200 % zoom, with and without larger text."""
from __future__ import annotations

import re

import pytest

SERIOUS = ("serious", "critical")


def serious(violations):
    return [v for v in violations if v["impact"] in SERIOUS]


def describe(violations) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} – {v['help']} ({len(v['nodes'])}×: "
        f"{', '.join(n['target'][0] if isinstance(n['target'][0], str) else str(n['target']) for n in v['nodes'][:4])})"
        for v in violations)


def test_axe_finds_nothing_serious_on_a_first_visit(new_page):
    page = new_page(bypass_csp=True).open()  # axe is injected as a script; the page's CSP would refuse it
    page.wait_greeted()
    violations = page.axe()
    assert not serious(violations), describe(violations)


def test_axe_finds_nothing_serious_in_a_tamil_conversation_with_larger_text(new_page):
    page = new_page(bypass_csp=True).open()
    page.wait_greeted()
    pw = page.pw
    page.login("Rajesh s/o Kumar")
    pw.click("button[data-lang=ta]")
    pw.click("#large-text")
    page.wait_idle()
    page.say("பேபி போனஸ் எவ்வளவு?")
    page.say("menu")
    violations = page.axe()
    page.screenshot("10-tamil-large-text")
    assert not serious(violations), describe(violations)
    # Also the states that only show up now and then: the reconnecting banner and the limit message.
    pw.fill("#chat-input", "அ" * 1000)
    pw.evaluate("window.momentsChat.setStatus('reconnecting')")
    violations = page.axe()
    assert not serious(violations), describe(violations)


def test_the_whole_journey_works_with_the_keyboard_alone_in_tamil(new_page, web):
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    kb = pw.keyboard

    def tab_to(predicate, limit=40, back=False):
        for _ in range(limit):
            kb.press("Shift+Tab" if back else "Tab")
            f = page.focused()
            assert f["ring"] != "none" and "255, 221, 0" in f["ring"], f"no visible focus ring on {f}"
            if predicate(f):
                return f
        raise AssertionError("never reached the element with Tab")

    # The first Tab reaches the skip link; the language buttons come next, in the order they read.
    kb.press("Tab")
    assert page.focused()["cls"] == "skip-link"
    tab_to(lambda f: f["lang"] == "ta")
    kb.press("Enter")
    pw.wait_for_function("document.documentElement.lang === 'ta'")

    # Mock Singpass with the keyboard: choose a person in the list, then the login button.
    tab_to(lambda f: f["id"] == "person-select")
    priya = web.person("Priya d/o Suresh")
    while pw.input_value("#person-select") != priya["id"]:
        kb.press("ArrowDown")
    tab_to(lambda f: f["id"] == "login-button")
    kb.press("Enter")
    pw.wait_for_selector("#logged-in-area:not([hidden])")
    assert page.focused()["id"] == "logout-button", "focus moves to the new controls"
    page.wait_idle()

    # A quick reply of the menu (offered again in Tamil after the switch), reached with Tab and pressed with Enter.
    tab_to(lambda f: "quick-reply" in f["cls"] and f["text"] == "பேபி போனஸ்")
    kb.press("Enter")
    page.wait_idle()
    assert page.user_texts()[-1] == "பேபி போனஸ்"
    assert page.focused()["id"] == "chat-input", "after a quick reply the focus is back in the message box"

    # Typing: Enter sends, Shift+Enter is a new line.
    kb.type("பேபி போனஸ்")
    kb.press("Shift+Enter")
    kb.type("எவ்வளவு கிடைக்கும்?")
    kb.press("Enter")
    page.wait_idle()
    said = web.user_events(page.session_id)[-1]
    assert said["text"] == "பேபி போனஸ்\nஎவ்வளவு கிடைக்கும்?"
    assert said["metadata"]["language"] == "ta" and said["metadata"]["person_id"]
    assert "token" not in said["metadata"], "the tracker store keeps no token"
    assert re.search(r"[\u0b80-\u0bff]", page.bot_texts()[-1]), "the bot answers in Tamil"
    page.screenshot("11-keyboard-tamil")

    # Priya is logged in, so the Baby Bonus answer is her family's own: first MyInfo consent, a quick reply
    # reached backwards from the message box and pressed with Space.
    tab_to(lambda f: "quick-reply" in f["cls"] and f["text"] == "ஆம்", back=True)
    kb.press("Space")
    page.wait_idle()
    assert page.user_texts()[-1] == "ஆம்"
    assert re.search(r"[\u0b80-\u0bff]", page.bot_texts()[-1]), "her family's amounts, in Tamil"

    # The menu again, now in Tamil: a quick reply reached backwards from the message box, pressed with Space.
    kb.type("menu")
    kb.press("Enter")
    page.wait_idle()
    tab_to(lambda f: "quick-reply" in f["cls"] and f["text"] == "பேபி போனஸ்", back=True)
    kb.press("Space")
    page.wait_idle()
    assert page.user_texts()[-1] == "பேபி போனஸ்"

    # The skip link jumps straight to the message box.
    pw.focus("#large-text")
    kb.press("Enter")
    assert pw.evaluate("document.documentElement.classList.contains('large-text')")
    pw.evaluate("window.scrollTo(0, 0)")
    pw.focus(".skip-link")
    kb.press("Enter")
    assert page.focused()["id"] == "chat-input"


@pytest.mark.parametrize("name, viewport, scale, large", [
    ("phone-360", {"width": 360, "height": 740}, 3, False),
    ("phone-360-large-text", {"width": 360, "height": 740}, 3, True),
    ("reflow-320", {"width": 320, "height": 640}, 2, False),
    # 200 % zoom of a 1280 × 800 window: the page gets 640 × 400 CSS pixels.
    ("zoom-200", {"width": 640, "height": 400}, 2, False),
    ("zoom-200-large-text", {"width": 640, "height": 400}, 2, True),
])
def test_the_page_reflows_on_a_phone_and_at_200_percent_zoom(new_page, name, viewport, scale, large):
    page = new_page(viewport=viewport, device_scale_factor=scale, is_mobile=viewport["width"] < 400,
                    has_touch=viewport["width"] < 400).open("?lang=ta")
    page.wait_greeted()
    pw = page.pw
    if large:
        pw.click("#large-text")
    page.say("குழந்தையின் தடுப்பூசி அட்டவணை என்ன?")
    page.say("menu")
    width = viewport["width"]
    overflow = pw.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
    for selector in ("#chat-input", "#send-button", "#transcript .quick-reply", ".lang-button[data-lang=ta]",
                     "#large-text", "#login-button", "#new-conversation"):
        for box in pw.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())"):
            assert box["left"] >= 0 and box["right"] <= width + 0.5, f"{name}: {selector} sticks out: {box}"
            assert box["height"] >= 24, f"{name}: {selector} is too small a target: {box}"
    wide = pw.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => {
        const r = e.getBoundingClientRect(); return r.width > 0 && r.right > document.documentElement.clientWidth + 1;
    }).map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert not wide, f"{name}: elements wider than the screen: {wide}"
    page.screenshot(f"12-{name}")
