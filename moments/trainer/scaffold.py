"""`add-intent` and `add-examples`: the only ways a trainer needs to touch the data files.

add-intent NAME creates, for all four languages at once:
  - data/nlu/<lang>.yml           a block with placeholder lines (validate flags them until replaced)
  - tests/nlu/heldout/<lang>.yml  a block with placeholder lines for the test set
  - domain/<NAME>.yml             the intent and a response utter_<NAME> with TODO texts in en/zh/ms/ta
  - data/rules/<NAME>.yml         a rule: after <NAME>, answer with utter_<NAME>
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from moments.privacy import mask_personal
from moments.trainer.intent_kinds import HELDOUT_MIN, min_examples
from moments.trainer.nlu_files import (PLACEHOLDER_PREFIX, EditResult, clean_example, is_placeholder,
                                       merge_examples, norm, read_examples)
from moments.trainer.project import LANGS, LANGUAGE_NAMES, Project

INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{2,60}$")

# How the response stubs look; the TODO marker is what validate (and the domain test) flag.
_RESPONSE_STUB = {
    "en": "TODO: write the English answer for {name}",
    "zh": "TODO: 请写 {name} 的中文回答 (Chinese answer)",
    "ms": "TODO: tulis jawapan Bahasa Melayu untuk {name} (Malay answer)",
    "ta": "TODO: {name} க்கான தமிழ் பதிலை எழுதுங்கள் (Tamil answer)",
}


class TrainerError(Exception):
    """A mistake the trainer can fix; the message says how."""


def _placeholders(name: str, lang: str, heldout: bool) -> List[str]:
    language = LANGUAGE_NAMES[lang]
    if heldout:
        return [f"{PLACEHOLDER_PREFIX} write {HELDOUT_MIN}+ {language} test messages for {name} that are NOT "
                f"in data/nlu (make add-examples INTENT={name} IN={lang} HELDOUT=1 EXAMPLES=...)"]
    need = min_examples(name)
    return [f"{PLACEHOLDER_PREFIX} write {need}+ ways a parent would ask {name} in {language} "
            f"(make add-examples INTENT={name} IN={lang} EXAMPLES=...)"]


def _domain_stub(name: str, small_talk_note: str) -> str:
    lines = [
        'version: "3.1"',
        f"# Made by `python -m moments.trainer add-intent {name}`.",
        "# Replace each TODO text below with the bot's answer in that language, then run `make validate`.",
        f"# {small_talk_note}",
        "intents:",
        f"  - {name}",
        "",
        "responses:",
        f"  utter_{name}:",
        f'    - text: "{_RESPONSE_STUB["en"].format(name=name)}"',
    ]
    for lang in ("zh", "ms", "ta"):
        lines += [f"    - condition: [{{type: slot, name: language, value: {lang}}}]",
                  f'      text: "{_RESPONSE_STUB[lang].format(name=name)}"']
    return "\n".join(lines) + "\n"


def _rule_stub(name: str) -> str:
    return (
        'version: "3.1"\n'
        f"# Made by `python -m moments.trainer add-intent {name}`: when a parent asks this, answer with\n"
        f"# utter_{name} (its text, in four languages, is in domain/{name}.yml).\n"
        "rules:\n"
        f"- rule: answer {name}\n"
        "  steps:\n"
        f"  - intent: {name}\n"
        f"  - action: utter_{name}\n"
    )


@dataclass
class NewIntent:
    name: str
    files: List[Path] = field(default_factory=list)


def add_intent(project: Project, name: str) -> NewIntent:
    if not INTENT_NAME.match(name or ""):
        raise TrainerError(
            f"'{name}' is not a usable intent name: use lower-case English words joined by '_', "
            "e.g. ask_preschool (3-60 characters, starting with a letter).")
    domain = project.domain()
    if name in (domain.get("intents") or []):
        raise TrainerError(f"{name} already exists. To add examples to it: make add-examples INTENT={name} "
                           "IN=<en|zh|ms|ta> EXAMPLES=\"…\"")
    domain_file = project.domain_dir / f"{name}.yml"
    rule_file = project.rules_dir / f"{name}.yml"
    for path in (domain_file, rule_file):
        if path.exists():
            raise TrainerError(f"{project.rel(path)} already exists; pick another name or remove that file.")
    if f"utter_{name}" in (domain.get("responses") or {}):
        raise TrainerError(f"A response utter_{name} already exists in domain/; pick another name.")

    result = NewIntent(name)
    note = (f"Needs {min_examples(name)}+ training examples per language "
            "(small-talk intents are listed in moments/trainer/intent_kinds.py).")
    domain_file.write_text(_domain_stub(name, note), encoding="utf-8")
    rule_file.parent.mkdir(parents=True, exist_ok=True)
    rule_file.write_text(_rule_stub(name), encoding="utf-8")
    result.files += [domain_file, rule_file]
    for lang in LANGS:
        merge_examples(project.nlu_file(lang), name, _placeholders(name, lang, heldout=False))
        merge_examples(project.heldout_file(lang), name, _placeholders(name, lang, heldout=True))
        result.files += [project.nlu_file(lang), project.heldout_file(lang)]
    return result


@dataclass
class AddedExamples:
    edit: EditResult
    refused: Dict[str, str] = field(default_factory=dict)      # example -> why
    wrong_language: Dict[str, str] = field(default_factory=dict)  # example -> detected language
    masked: int = 0
    total: int = 0
    needed: int = 0


def read_examples_file(path: Path) -> List[str]:
    """One example per line; blank lines and lines starting with '#' are skipped."""
    if not path.exists():
        raise TrainerError(f"There is no file {path} (FILE=): give the path of a text file with one example per line.")
    return [l for l in (clean_example(x) for x in path.read_text(encoding="utf-8").splitlines())
            if l and not l.startswith("#")]


def script_language(text: str) -> Optional[str]:
    """zh or ta when the text is mostly in that script, "latin" when it has only Latin letters, else None.

    Cheap on purpose (moments.nlu.language would load Rasa and TensorFlow): it catches Chinese pasted
    into the Malay file and the like; English vs Malay is left to the trainer.
    """
    from moments.nlu.scripts import count_scripts

    c = count_scripts(text)
    if c.han and c.han >= c.tamil and c.han * 2 >= c.latin // 3:
        return "zh"
    if c.tamil and c.tamil * 2 >= c.latin:
        return "ta"
    if c.latin and not c.han and not c.tamil:
        return "latin"
    return None


def add_examples(project: Project, intent: str, lang: str, examples: Iterable[str],
                 heldout: bool = False) -> AddedExamples:
    if lang not in LANGS:
        raise TrainerError(f"Unknown language '{lang}': use one of {', '.join(LANGS)}.")
    domain = project.domain()
    if intent not in (domain.get("intents") or []):
        raise TrainerError(f"There is no intent {intent}. Known: {', '.join(domain.get('intents') or [])}. "
                           f"To create it: make add-intent NAME={intent}")
    cleaned, masked = [], 0
    for raw in examples:
        ex = clean_example(raw)
        if not ex:
            continue
        safe = mask_personal(ex)
        masked += safe != ex
        cleaned.append(safe)
    if not cleaned:
        raise TrainerError('No examples given: EXAMPLES="first|second", or FILE=examples.txt with one per line.')

    # Where every example already is, so nothing ends up under two intents or in both train and test.
    owners: Dict[str, str] = {}
    for l in LANGS:
        for other_intent, exs in read_examples(project.nlu_file(l)).items():
            for e in exs:
                if not is_placeholder(e):
                    owners.setdefault(norm(e), f"{other_intent} in data/nlu/{l}.yml")
    tested: Dict[str, str] = {}
    for l in LANGS:
        for other_intent, exs in read_examples(project.heldout_file(l)).items():
            for e in exs:
                tested.setdefault(norm(e), f"{other_intent} in tests/nlu/heldout/{l}.yml")

    accepted: List[str] = []
    out = AddedExamples(edit=EditResult(path=project.nlu_file(lang), intent=intent), masked=masked)
    for ex in cleaned:
        key = norm(ex)
        where = owners.get(key)
        if where and not where.startswith(f"{intent} in"):
            out.refused[ex] = f"already an example of {where}"
        elif heldout and where:
            out.refused[ex] = f"already a training example ({where}); a test message must be new to the bot"
        elif not heldout and key in tested:
            out.refused[ex] = f"it is in the test set ({tested[key]}); training on it would fake the score"
        else:
            script = script_language(ex)
            if script and script != ("latin" if lang in ("en", "ms") else lang):
                out.wrong_language[ex] = script
            accepted.append(ex)
    path = project.heldout_file(lang) if heldout else project.nlu_file(lang)
    out.edit = merge_examples(path, intent, accepted) if accepted else EditResult(path=path, intent=intent)
    out.total = len([e for e in read_examples(path).get(intent, []) if not is_placeholder(e)])
    out.needed = HELDOUT_MIN if heldout else min_examples(intent)
    return out


def describe_added(project: Project, r: AddedExamples) -> str:
    lines = []
    where = f"{project.rel(r.edit.path)} ({r.edit.intent})"
    lines.append(f"Added {len(r.edit.added)} example(s) to {where}; it now has {r.total} "
                 f"(needs at least {r.needed}).")
    if r.edit.already_there:
        lines.append(f"  {len(r.edit.already_there)} were already there: " +
                     "; ".join(f"'{e}'" for e in r.edit.already_there[:5]))
    if r.edit.placeholders_removed:
        lines.append(f"  Removed {r.edit.placeholders_removed} TODO placeholder line(s).")
    if r.masked:
        lines.append(f"  Masked NRIC / phone numbers in {r.masked} example(s).")
    for ex, why in r.refused.items():
        lines.append(f"  NOT added '{ex}': {why}.")
    for ex, detected in r.wrong_language.items():
        looks = {"latin": "English or Malay"}.get(detected, LANGUAGE_NAMES.get(detected, detected))
        lines.append(f"  Note: '{ex}' looks like {looks}, not {LANGUAGE_NAMES[project_lang(r)]}; added anyway "
                     "— check it is in the right file.")
    if r.total < r.needed:
        lines.append(f"  Still {r.needed - r.total} to go.")
    return "\n".join(lines)


def project_lang(r: AddedExamples) -> str:
    return Path(r.edit.path).stem


@dataclass
class Moved:
    lang: str
    file: Path
    examples: List[str] = field(default_factory=list)


def move_examples(project: Project, source: str, target: str, match: str, langs: Optional[Iterable[str]] = None,
                  dry_run: bool = False) -> List[Moved]:
    """Moves the examples of `source` that contain any of the words in `match` ("幼儿园|托儿所": either one,
    ignoring case) to `target`, in the training data and in the test set of each language in `langs`."""
    from moments.trainer.nlu_files import remove_examples

    domain = project.domain().get("intents") or []
    for name, what in ((source, "FROM"), (target, "TO")):
        if name not in domain:
            raise TrainerError(f"There is no intent {name} ({what}=). Known: {', '.join(domain)}."
                               + (f" To create it: make add-intent NAME={name}" if what == "TO" else ""))
    if source == target:
        raise TrainerError("FROM and TO are the same intent.")
    words = [w.strip().casefold() for w in match.split("|") if w.strip()]
    if not words:
        raise TrainerError('MATCH is empty: give the words to look for, e.g. MATCH="幼儿园|托儿所".')
    langs = list(langs or LANGS)
    for lang in langs:
        if lang not in LANGS:
            raise TrainerError(f"Unknown language '{lang}': use one of {', '.join(LANGS)}.")
    moved: List[Moved] = []
    for lang in langs:
        for path in (project.nlu_file(lang), project.heldout_file(lang)):
            hits = [e for e in read_examples(path).get(source, [])
                    if not is_placeholder(e) and any(w in e.casefold() for w in words)]
            if not hits:
                continue
            moved.append(Moved(lang, path, hits))
            if not dry_run:
                merge_examples(path, target, hits)
                remove_examples(path, source, hits)
    return moved


def describe_moved(project: Project, moved: List[Moved], source: str, target: str, match: str,
                   dry_run: bool) -> str:
    if not moved:
        return (f"No example of {source} contains {' or '.join(repr(w) for w in match.split('|') if w.strip())}: "
                "nothing moved.")
    total = sum(len(m.examples) for m in moved)
    lines = [f"{'Would move' if dry_run else 'Moved'} {total} example(s) from {source} to {target}:"]
    for m in moved:
        kind = "test messages" if m.file.parent == project.heldout_dir else "training examples"
        lines.append(f"  {project.rel(m.file)} ({LANGUAGE_NAMES[m.lang]}, {kind}):")
        lines += [f"    → {e}" for e in m.examples]
    lines.append("Run without LIST=1 to move them." if dry_run else "Next: make validate")
    return "\n".join(lines)
