"""Every bot message exists in en, zh, ms and ta — a missing or half-translated response fails here."""
import re
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from moments.nlu.scripts import count_scripts

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()  # merged like Rasa does
RESPONSES = DOMAIN["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# Shared with `python -m moments.trainer validate`, which applies the same rules with trainer-friendly messages.
from moments.trainer.responses import variants_by_language  # noqa: E402


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_exists_in_all_four_languages(name):
    by_lang = variants_by_language(RESPONSES[name])
    assert set(by_lang) == {"en", "zh", "ms", "ta"}, f"{name} has languages {sorted(by_lang)}"
    for lang, variations in by_lang.items():
        for v in variations:
            assert v.get("text", "").strip(), f"{name}/{lang} has no text"
            assert "TODO" not in v["text"], f"{name}/{lang} is not translated yet"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_translations_keep_placeholders_and_buttons(name):
    by_lang = variants_by_language(RESPONSES[name])
    en = by_lang["en"][0]
    for lang, variations in by_lang.items():
        for v in variations:
            assert set(PLACEHOLDER.findall(v["text"])) == set(PLACEHOLDER.findall(en["text"])), (name, lang)
            en_payloads = [b["payload"] for b in en.get("buttons", [])]
            assert [b["payload"] for b in v.get("buttons", [])] == en_payloads, (name, lang)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_each_language_is_written_in_its_script(name):
    by_lang = variants_by_language(RESPONSES[name])
    for v in by_lang["zh"]:
        assert count_scripts(v["text"]).han > 0, f"{name}/zh has no Chinese characters"
    for v in by_lang["ta"]:
        assert count_scripts(v["text"]).tamil > 0, f"{name}/ta has no Tamil script"
    for v in by_lang["ms"]:
        assert v["text"] != by_lang["en"][0]["text"], f"{name}/ms is the English text"


def test_every_condition_is_on_a_known_language():
    """Conditions are on the language; besides it, only `logged_in` (the web's guest variants of a handoff, which
    Rasa prefers because they name their channel) — and never without a language, so no language can win over it."""
    slot_values = set(DOMAIN["slots"]["language"]["values"])
    for name, variations in RESPONSES.items():
        for v in variations:
            conds = v.get("condition") or []
            for cond in conds:
                if cond["name"] == "logged_in":
                    assert cond["value"] in (True, False) and v.get("channel"), (name, cond)
                    assert any(c["name"] == "language" for c in conds), (name, conds)
                    continue
                assert cond["name"] == "language" and cond["value"] in slot_values, (name, cond)
