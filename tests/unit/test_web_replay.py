"""The web channel's bot-message ids and replay (issue 16), without servers: a live message and the same message read
back from the tracker have the same parts and ids, Rasa's own socket.io output splits texts the same way, and
"after this id" holds when the id is gone from the tracker. The socket.io server is the edge (a recorder)."""
from __future__ import annotations

import asyncio

from rasa.core.channels.socketio import SocketIOOutput
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from moments.web.channel import (RecentMessages, WebChatOutput, messages_after, tracker_messages,
                                 widget_messages)


class Recorder:
    """What an AsyncServer would emit, in order."""

    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, **kwargs):
        self.emitted.append((event, data, room))


def emitted_by(output_cls, message, *args):
    sio = Recorder()
    asyncio.run(output_cls(sio, "bot_uttered", *args).send_response("conv", dict(message)))
    return [data for _, data, _ in sio.emitted]


MESSAGES = [
    {"text": "Hello!\n\nHow can I help?", "buttons": [{"title": "Baby Bonus", "payload": "/ask_baby_bonus"},
                                                       {"title": "Register", "payload": "/register_birth"}]},
    {"text": "One paragraph only."},
    {"text": "Done.\n\n[Download](https://example.org/c/abc)"},
    {"text": "", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
]


def test_the_parts_are_rasas_socketio_parts_with_an_id_each():
    for message in MESSAGES:
        event = BotUttered(message["text"], {"buttons": message.get("buttons")}, timestamp=1796419207.8272576)
        ours = emitted_by(WebChatOutput, event.message(), RecentMessages())
        rasas = emitted_by(SocketIOOutput, event.message())
        assert [{k: v for k, v in m.items() if k != "id"} for m in ours] == rasas
        assert [m["id"] for m in ours] == [f"1796419207.8272576:0:{k}" for k in range(len(rasas))]
        assert widget_messages(event.message()) == rasas


def test_live_and_tracker_messages_have_the_same_ids_also_when_two_share_a_timestamp():
    ts = 1796419207.5
    events = [UserUttered("hi", timestamp=ts - 1), ActionExecuted("utter_greet", timestamp=ts - 0.5),
              BotUttered("Hello!\n\nMenu:", {"buttons": [{"title": "A", "payload": "/a"}]}, timestamp=ts),
              BotUttered("Second, same instant", timestamp=ts), BotUttered("Third", timestamp=ts + 0.25)]
    recent = RecentMessages()
    sio = Recorder()
    output = WebChatOutput(sio, "bot_uttered", recent)  # one output channel per turn, as the channel makes them

    async def turn():
        for e in events:
            if isinstance(e, BotUttered):
                await output.send_response("conv", e.message())

    asyncio.run(turn())
    live = [data for _, data, _ in sio.emitted]
    stored = tracker_messages(events)
    assert live == stored
    assert [m["id"] for m in stored] == [f"{ts!r}:0:0", f"{ts!r}:0:1", f"{ts!r}:1:0", f"{ts + 0.25!r}:0:0"]
    assert all(recent.get("conv", m["id"]) == m for m in live)
    assert recent.get("another conversation", live[0]["id"]) is None


def test_after_an_id_and_after_an_id_the_tracker_no_longer_has():
    messages = [{"id": f"{t!r}:0:{k}", "text": f"{t}/{k}"} for t in (100.5, 200.25, 300.0) for k in (0, 1)]
    assert messages_after(messages, None) == messages
    assert messages_after(messages, "200.25:0:0") == messages[3:]
    assert messages_after(messages, "300.0:0:1") == []
    # An id from an earlier Rasa session (not among these): what is later than it.
    assert messages_after(messages, "250.0:0:3") == messages[4:]
    assert messages_after(messages, None, limit=2) == messages[-2:]


def test_recent_messages_forget_the_oldest_beyond_their_bound():
    recent = RecentMessages(max_entries=2)
    for i in range(3):
        recent.add("conv", {"id": f"{i}.0:0:0", "text": str(i)})
    assert recent.get("conv", "0.0:0:0") is None
    assert recent.get("conv", "2.0:0:0") == {"id": "2.0:0:0", "text": "2"}
