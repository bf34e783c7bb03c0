"""Two costs Rasa 3.6 pays on every custom-action call that our set-up does not need (installed by moments/serve.py).

Measured on main (shared/PROFILE.md): validating the action server's reply against a JSON schema took 27–79 ms of a
journey turn (about half of it), and every call sent the whole domain — ~300 KB, mostly the four languages of
responses — serialised afresh by `Domain.as_dict()`.

- **The reply check.** `RemoteAction._validate_action_result` runs jsonschema's full validator over Rasa's schema of
  every event type. Our action server is ours, reached over loopback with a shared secret; what could go wrong is a
  malformed body, not an adversarial one. The replacement checks the shape Rasa relies on (a JSON object; `events` a
  list of objects that each name an `event`; `responses` a list of objects) and raises the same
  `jsonschema.ValidationError` Rasa handles; a field an event lacks still fails where Rasa deserialises it.
- **The domain sent.** rasa-sdk reads only `slots` and `forms` of the domain (forms.py, slots.py), and our actions read
  nothing else (they send response *names*; Rasa renders the text). The call now carries the domain without
  `responses`, computed once per loaded domain (a new model brings a new Domain object, so a deploy refreshes it).

Long conversations: moments/rasa_history.py (installed from here; MOMENTS_RASA_HISTORY_SPEEDUPS=0 turns it alone off).

MOMENTS_RASA_SPEEDUPS=0 turns all of them off (Rasa's own behaviour), e.g. to compare with `make bench`.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)

_slim: Dict[int, Any] = {}  # id(domain) -> (domain, dict without responses); at most a few models per process


def slim_domain(domain: Any) -> Dict[Text, Any]:
    """The domain as the action server needs it: everything but the responses, computed once per Domain object."""
    hit = _slim.get(id(domain))
    if hit is not None and hit[0] is domain:
        return hit[1]
    full = domain.as_dict()
    slim = {k: v for k, v in full.items() if k != "responses"}
    if len(_slim) > 4:
        _slim.clear()
    _slim[id(domain)] = (domain, slim)
    return slim


def check_action_result(result: Any) -> bool:
    """The shape of an action server reply Rasa relies on; jsonschema.ValidationError otherwise."""
    from jsonschema import ValidationError

    def bad(why: str) -> ValidationError:
        return ValidationError(f"Failed to validate Action server response from API: {why}")

    if not isinstance(result, dict):
        raise bad("not a JSON object")
    events, responses = result.get("events", []), result.get("responses", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) and isinstance(e.get("event"), str)
                                               for e in events):
        raise bad("'events' must be a list of objects that each name an 'event'")
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        raise bad("'responses' must be a list of objects")
    return True


def install() -> bool:
    """Patches RemoteAction in this process (the Rasa server started by moments.serve). False when switched off."""
    if os.environ.get("MOMENTS_RASA_SPEEDUPS", "1").strip() in ("0", "false", "no"):
        logger.info("Rasa speed-ups off (MOMENTS_RASA_SPEEDUPS=0)")
        return False
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    def action_call_format(self, tracker, domain) -> Dict[Text, Any]:
        return {"next_action": self._name, "sender_id": tracker.sender_id,
                "tracker": tracker.current_state(EventVerbosity.ALL), "version": rasa.__version__,
                "domain": slim_domain(domain)}

    RemoteAction._action_call_format = action_call_format
    RemoteAction._validate_action_result = lambda self, result: check_action_result(result)
    from moments import rasa_history

    rasa_history.install()  # costs that grew with the conversation (MOMENTS_RASA_HISTORY_SPEEDUPS=0: off)
    return True
