"""The four languages the assistant speaks, and the conversation's language as a reader or a formatter needs it."""
from __future__ import annotations

from typing import Any, Optional

LANGUAGES = ("en", "zh", "ms", "ta")


def lang_or_en(language: Optional[str]) -> str:
    """One of LANGUAGES; anything else (None, a language the bot does not speak) is English."""
    return language if language in LANGUAGES else "en"


def language_of(tracker: Any) -> str:
    """The conversation's language (the `language` slot) of a rasa-sdk Tracker, or English."""
    return lang_or_en(tracker.get_slot("language"))
