"""Reading and editing Rasa NLU files (data/nlu/<lang>.yml, tests/nlu/heldout/<lang>.yml).

Reading goes through YAML. Writing is done on the text, one intent block at a time, so everything the
tool does not touch (other blocks, their order, comments) stays byte for byte as it was. A block the
tool touches comes out tidy: examples sorted, no duplicates, placeholders gone once real examples arrive.

The file shape (the one Rasa writes and our data uses):

    version: "3.1"
    nlu:
    - intent: ask_baby_bonus
      examples: |
        - how much is the baby bonus
        - ...
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

from moments.trainer.project import load_yaml

# add-intent writes lines that start with this; validate flags them until a trainer replaces them.
PLACEHOLDER_PREFIX = "TODO"
EXAMPLE_INDENT = "    "

_INTENT_LINE = re.compile(r"^- intent:\s*(?P<name>[^\s#]+)\s*(#.*)?$")
_EXAMPLES_LINE = re.compile(r"^\s+examples:\s*\|[-+]?\s*$")
_TOP_LEVEL_ITEM = re.compile(r"^-\s|^\S")


def norm(text: str) -> str:
    """What counts as "the same example": case, spaces, punctuation and symbols ignored.

    Letters, digits and combining marks are kept (Tamil vowel signs are marks: dropping them, as a
    plain `\\W` would, makes different Tamil words look the same).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LMN")


def is_placeholder(example: str) -> bool:
    return example.strip().startswith(PLACEHOLDER_PREFIX)


def clean_example(text: str) -> str:
    """One line, single spaces, no list dash a trainer may have pasted along."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if text.startswith("- "):
        text = text[2:].strip()
    return text


def read_examples(path: Path) -> Dict[str, List[str]]:
    """{intent: [example, ...]} in file order; {} when the file does not exist."""
    if not path.exists():
        return {}
    doc = load_yaml(path.read_text(encoding="utf-8")) or {}
    out: Dict[str, List[str]] = {}
    for block in doc.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            lines = (block.get("examples") or "").splitlines()
            out.setdefault(str(block["intent"]), []).extend(
                l.strip()[2:].strip() for l in lines if l.strip().startswith("- ")
            )
    return out


def sort_key(example: str) -> Tuple[str, str]:
    return (example.casefold(), example)


@dataclass
class EditResult:
    path: Path
    intent: str
    added: List[str] = field(default_factory=list)
    already_there: List[str] = field(default_factory=list)
    placeholders_removed: int = 0
    created_block: bool = False


def _find_block(lines: List[str], intent: str) -> Optional[Tuple[int, int, int]]:
    """(start of `- intent:` line, first example line, end exclusive of the examples) or None."""
    for i, line in enumerate(lines):
        m = _INTENT_LINE.match(line)
        if not m or m.group("name") != intent:
            continue
        j = i + 1
        while j < len(lines) and not _TOP_LEVEL_ITEM.match(lines[j]):
            if _EXAMPLES_LINE.match(lines[j]):
                first = j + 1
                end = first
                while end < len(lines) and (lines[end].strip() == "" or lines[end].startswith("  ")) \
                        and not _TOP_LEVEL_ITEM.match(lines[end]):
                    if lines[end].strip() and not lines[end].lstrip().startswith("- "):
                        break  # another key of the block (e.g. metadata:)
                    end += 1
                while end > first and lines[end - 1].strip() == "":
                    end -= 1  # trailing blank lines belong between blocks, not to the examples
                return i, first, end
            j += 1
        raise ValueError(f"intent {intent} has no 'examples: |' list")
    return None


def merge_examples(path: Path, intent: str, new_examples: Iterable[str],
                   template: str = 'version: "3.1"\nnlu:\n') -> EditResult:
    """Adds examples to `intent` in `path` (creating the block or the file if needed).

    The block is rewritten sorted and without duplicates; once a real example is in it, the
    placeholder lines `add-intent` put there are dropped. Other blocks are not touched.
    """
    result = EditResult(path=path, intent=intent)
    text = path.read_text(encoding="utf-8") if path.exists() else template
    lines = text.splitlines()
    found = _find_block(lines, intent)
    existing = []
    if found:
        _, first, end = found
        existing = [l.strip()[2:].strip() for l in lines[first:end] if l.strip().startswith("- ")]
    seen = {norm(e) for e in existing if not is_placeholder(e)}
    for raw in new_examples:
        ex = clean_example(raw)
        if not ex:
            continue
        if norm(ex) in seen and not is_placeholder(ex):
            result.already_there.append(ex)
            continue
        seen.add(norm(ex))
        result.added.append(ex)

    combined = existing + result.added
    real = [e for e in combined if not is_placeholder(e)]
    if real and len(real) != len(combined):
        result.placeholders_removed = len(combined) - len(real)
        combined = real
    # Tidy: one line per distinct example, sorted; placeholders (if still needed) stay on top.
    unique: Dict[str, str] = {}
    for e in combined:
        unique.setdefault(norm(e) if not is_placeholder(e) else e, e)
    placeholders = [e for e in unique.values() if is_placeholder(e)]
    body = placeholders + sorted((e for e in unique.values() if not is_placeholder(e)), key=sort_key)
    new_lines = [f"{EXAMPLE_INDENT}- {e}" for e in body]

    if found:
        _, first, end = found
        if lines[first:end] == new_lines:
            return result
        lines[first:end] = new_lines
    else:
        result.created_block = True
        while lines and lines[-1].strip() == "":
            lines.pop()
        if not any(l.startswith("nlu:") for l in lines):
            lines.append("nlu:")
        if lines and not lines[-1].startswith("nlu:"):
            lines.append("")
        lines += [f"- intent: {intent}", "  examples: |", *new_lines]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yaml.safe_load(path.read_text(encoding="utf-8"))  # never leave a file Rasa cannot read
    return result


def remove_examples(path: Path, intent: str, examples: Iterable[str]) -> int:
    """Removes the given examples (compared with `norm`) from `intent`; returns how many went."""
    drop = {norm(e) for e in examples}
    lines = path.read_text(encoding="utf-8").splitlines()
    found = _find_block(lines, intent)
    if not found:
        return 0
    _, first, end = found
    kept = [l for l in lines[first:end] if not (l.strip().startswith("- ") and norm(l.strip()[2:]) in drop)]
    removed = (end - first) - len(kept)
    if removed:
        lines[first:end] = kept
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return removed
