"""Issue 16, "web reconnect at each point of a turn": the socket drops before the message reaches the server, after
the server received it but before the reply, between two bot messages of one reply, and after the reply (before its
acknowledgement) — and the user sees every bot message of the conversation exactly once, in order, also after a
reload. The drops are real: the page closes its engine.io transport at that point (socket.io then reconnects by
itself), the servers are the session's real Rasa + actions + agencies.

"Exactly once, in order" is checked against the tracker: the ids of the bot messages on screen, top to bottom, are
the ids the channel derives from the tracker's bot events (moments.web.channel.tracker_messages)."""
from __future__ import annotations

import time
from typing import List

import jwt
import pytest
from rasa.shared.core.events import Event

from moments.agency_client import Agencies
from moments.web.channel import SINGPASS_AUDIENCE, SINGPASS_ISSUER, tracker_messages
from testkit import clear_faults, fault, notify_birth

# Arms one drop of the socket at `point` of the next turn, and records every user_uttered the page emits.
ARM = """(point) => {
  const c = window.momentsChat, s = c.socket, m = s.io;
  window.__drops = 0;
  window.__sent = window.__sent || [];
  const drop = () => { window.__drops += 1; m.engine.close(); };
  const emit = s.emit;
  let armed = point === 'received';
  s.emit = function (ev, ...args) {
    const r = emit.call(this, ev, ...args);
    if (ev === 'user_uttered') {
      window.__sent.push(args[0].customData.message_id);
      if (armed) {
        // A fence: the server answers a malformed replay_request at once, and only after it has taken up the
        // message sent before it on this socket (closing right after the emit would drop the message unread).
        armed = false;
        emit.call(s, 'replay_request', 'fence', () => drop());
      }
    }
    return r;
  };
  if (point === 'before') { m.reconnection(false); drop(); }
  if (point === 'between') {
    const once = () => { s.off('bot_uttered', once); drop(); };  // after the widget showed the reply's first message
    s.on('bot_uttered', once);
  }
  if (point === 'after') {
    const onack = s.onack;
    s.onack = function () { s.onack = onack; drop(); };  // every bot message is in; the acknowledgement is lost
  }
}"""

SHOWN_IDS = """() => { const c = window.momentsChat;
  return Array.from(document.querySelectorAll('#transcript li.msg-bot:not(.msg-error)'))
    .map((li) => (c.state.history.find((e) => e.id === li.dataset.id) || {}).sid || null); }"""

SETTLED = """() => { const c = window.momentsChat;
  return c && c.sessionReady && !c.replaying && !c.inflight && c.state.outbox.length === 0 && window.__drops >= 1; }"""


def tracker_ids(web, session_id: str) -> List[str]:
    events = [Event.from_parameters(e) for e in web.tracker(session_id)["events"]]
    return [m["id"] for m in tracker_messages([e for e in events if e is not None])
            if m.get("text") or m.get("quick_replies") or m.get("attachment")]


def shown_ids(page) -> List[str]:
    return page.pw.evaluate(SHOWN_IDS)


def say_with_a_drop(page, point: str, text: str) -> str:
    """Types `text` with the socket dropping at `point` of that turn; returns the message's id once all is settled."""
    pw = page.pw
    pw.evaluate(ARM, point)
    if point == "before":
        pw.wait_for_function("() => window.momentsChat.connectionState === 'reconnecting'")
    pw.fill("#chat-input", text)
    pw.press("#chat-input", "Enter")
    message_id = pw.evaluate("window.momentsChat.state.history.filter(e => e.from === 'user').pop().id")
    if point == "before":
        assert pw.evaluate("window.__sent.length") == 0, "nothing could be sent while the socket was down"
        pw.evaluate("() => { const s = window.momentsChat.socket; s.io.reconnection(true); s.connect(); }")
    pw.wait_for_function(SETTLED, timeout=60000)
    return message_id


@pytest.mark.parametrize("point", ["before", "received", "between", "after"])
def test_a_drop_at_any_point_of_a_turn_loses_no_reply_and_shows_none_twice(new_page, web, point):
    page = new_page().open()
    page.wait_greeted()
    greeting = shown_ids(page)
    assert greeting == tracker_ids(web, page.session_id) and greeting

    question = "how much is the baby bonus"
    message_id = say_with_a_drop(page, point, question)

    sent = page.pw.evaluate("window.__sent")
    assert sent.count(message_id) == (1 if point == "before" else 2), "re-sent after the drop (same id)"
    assert [e["text"] for e in web.user_events(page.session_id)].count(question) == 1, "and handled once"
    expected = tracker_ids(web, page.session_id)
    assert len(expected) - len(greeting) >= 2, "the answer has several messages (else 'between' tests nothing)"
    assert shown_ids(page) == expected, "every bot message once, in the conversation's order"
    assert page.pw.inner_text("#connection-status") == "Connected"

    page.pw.reload()
    page.wait_connected()
    page.pw.wait_for_function("() => !window.momentsChat.replaying")
    assert shown_ids(page) == expected, "a reload shows the same, nothing twice"
    page.screenshot(f"16-reconnect-{point}")


def test_a_reply_made_while_the_page_was_away_is_shown_after_a_reload(new_page, web):
    """The socket drops after the message arrived and stays down until the bot's turn is saved; then the page is
    reloaded (its transcript and the last id it showed are in localStorage): the missed reply is shown once."""
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    pw.evaluate("() => { window.momentsChat.socket.io.reconnection(false); }")
    pw.evaluate(ARM, "received")
    pw.fill("#chat-input", "what vaccines does my baby need")
    pw.press("#chat-input", "Enter")
    pw.wait_for_function("() => window.__drops === 1 && window.momentsChat.connectionState === 'reconnecting'")
    before = shown_ids(page)
    session = page.session_id
    # The turn runs without the page; poll the tracker (not a timed assert) until its reply is saved.
    for _ in range(600):
        if len(tracker_ids(web, session)) > len(before):
            break
        pw.wait_for_timeout(100)
    expected = tracker_ids(web, session)
    assert len(expected) > len(before), "the bot answered while the page was away"
    assert shown_ids(page) == before, "nothing of it reached the page"
    pw.reload()
    page.wait_idle()
    pw.wait_for_function("() => !window.momentsChat.replaying")
    assert page.session_id == session
    assert shown_ids(page) == expected
    assert [e["text"] for e in web.user_events(session)].count("what vaccines does my baby need") == 1
    # A replayed message shows when the bot said it, not when the page got it (its id starts with that time).
    said = pw.evaluate("window.momentsChat.state.history.filter(e => e.sid).map(e => [e.sid, Date.parse(e.at)])")
    assert all(at == int(float(sid.split(":")[0]) * 1000) for sid, at in said[len(before):]), said


def test_a_registration_whose_reply_was_lost_shows_it_once_and_the_resent_yes_does_not_start_the_baby_bonus(
        new_page, web):
    """The issue's case: "yes" at the summary reaches the server, the socket drops while ICA is registering (slow on
    purpose, so the page is back before the reply and the reply arrives live while the replay waits for the turn),
    the widget re-sends the same "yes" — de-duplicated — and shows the registration and the Baby Bonus offer once."""
    servers = web.servers
    baby = notify_birth(servers, "lim", "tan", days_ago=4, sex="M", at="08:42")
    page = new_page().open()
    page.wait_greeted()
    page.login("Tan Wei Ming")
    for text in ("I want to register my baby's birth", "yes", baby["enlb_number"], "Tan Kai Xuan", "陈凯轩",
                 "Hokkien, Teochew"):
        page.say(text)
    assert baby["enlb_number"] in page.bot_texts()[-1] or any(baby["enlb_number"] in t for t in page.bot_texts()[-3:])
    fault(servers, "ica", latency_ms=1500)
    try:
        message_id = say_with_a_drop(page, "received", "yes")
    finally:
        clear_faults(servers)

    agency = Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])
    [record] = [r for r in agency.ica.registrations(page.identity()["token"]) if r["enlb_number"] == baby["enlb_number"]]
    assert page.pw.evaluate("window.__sent").count(message_id) == 2
    tracker = web.tracker(page.session_id)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"].count("yes") == 2, "consent + summary"
    assert "baby_bonus_form" not in [e.get("name") for e in tracker["events"] if e["event"] == "action"]
    assert shown_ids(page) == tracker_ids(web, page.session_id)
    texts = page.bot_texts()
    assert sum(record["reference"] in t for t in texts) == 1, texts[-4:]
    assert "Tan Kai Xuan" in texts[-1] and "Baby Bonus" in texts[-1], "the offer is the last thing shown"
    assert page.pw.locator("#transcript .quick-reply").count() >= 2, "with its buttons, for the parent to decide"
    page.screenshot("16-registration-reply-after-a-drop")


def test_what_a_guest_may_not_read_back_is_shown_when_the_person_logs_in_again(new_page, web):
    """A logged-in conversation's reply is made while the page is away; the page comes back with an expired login, so
    it is a guest and the server does not replay the conversation to it (`forbidden`); logging in again as the same
    person shows the missed reply, once."""
    page = new_page().open()
    page.wait_greeted()
    pw = page.pw
    person = web.person("Priya d/o Suresh")
    page.login("Priya d/o Suresh")
    pw.evaluate("() => { window.momentsChat.socket.io.reconnection(false); }")
    pw.evaluate(ARM, "received")
    pw.fill("#chat-input", "how much is the baby bonus")
    pw.press("#chat-input", "Enter")
    pw.wait_for_function("() => window.__drops === 1 && window.momentsChat.connectionState === 'reconnecting'")
    before, session = shown_ids(page), page.session_id
    for _ in range(600):  # wait for the turn to be saved (not a timed assert)
        if len(tracker_ids(web, session)) > len(before):
            break
        pw.wait_for_timeout(100)
    expected = tracker_ids(web, session)
    assert len(expected) > len(before)

    now = int(time.time())
    expired = jwt.encode({"iss": SINGPASS_ISSUER, "aud": SINGPASS_AUDIENCE, "sub": person["id"], "iat": now - 3600,
                          "exp": now - 60}, web.servers.secrets["AGENCIES_TOKEN_SECRET"], algorithm="HS256")
    pw.evaluate("""([token, person]) => window.sessionStorage.setItem('moments.identity.v1', JSON.stringify(
        {token, expiresAt: Date.now() + 600000, expired: false, person}))""", [expired, {"id": person["id"],
                                                                                           "name": person["name"]}])
    pw.reload()
    page.wait_idle()
    pw.wait_for_function("() => !window.momentsChat.replaying")
    assert pw.inner_text("#login-message").startswith("Your login has expired")
    assert page.session_id == session, "the person stays the conversation's owner"
    assert shown_ids(page) == before, "not replayed to a guest"

    page.login("Priya d/o Suresh")
    pw.wait_for_function("() => !window.momentsChat.replaying && window.momentsChat.state.history.length > 0")
    page.wait_idle()
    assert shown_ids(page) == expected
