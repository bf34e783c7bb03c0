"""Two sides, one catalogue: the bot names only codes the agencies have (as Code members, never as strings), and
docs/agencies.md lists every code."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from actions.shared.agency import AGENCY_ERROR_RESPONSES
from moments.agencies import errors
from moments.agency_client.codes import CATALOGUE, RETRYABLE, Code

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted((ROOT / "actions").rglob("*.py"))


def codes_documented_in(path: Path) -> set:
    return set(re.findall(r"^\| `([a-z_]+)` \|", path.read_text(encoding="utf-8"), re.MULTILINE))


def codes_named_as_strings(source: str) -> list:
    """String constants compared with, or looked up against, something's `.code` (err.code == "slot_taken")."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "code":
            for side in node.comparators:
                found += [c.value for c in ast.walk(side) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return found


def test_the_agency_and_the_bot_share_one_catalogue():
    assert errors.CATALOGUE is CATALOGUE
    assert {c.value for c in Code} == set(CATALOGUE)


def test_the_bot_maps_only_codes_the_agencies_have():
    assert set(AGENCY_ERROR_RESPONSES) <= {c.value for c in Code}
    assert RETRYABLE <= set(Code)


def test_actions_name_codes_through_the_catalogue_not_as_strings():
    strings = {str(path.relative_to(ROOT)): codes_named_as_strings(path.read_text(encoding="utf-8"))
               for path in ACTIONS}
    assert {path: found for path, found in strings.items() if found} == {}


def test_the_string_check_finds_a_code_written_as_a_string():
    assert codes_named_as_strings('if err.code in ("slot_taken", Code.SLOT_IN_PAST): pass') == ["slot_taken"]


def test_docs_list_every_code():
    assert {c.value for c in Code} <= codes_documented_in(ROOT / "docs" / "agencies.md")


def test_docs_list_no_code_the_agencies_do_not_have():
    assert codes_documented_in(ROOT / "docs" / "agencies.md") <= {c.value for c in Code}
