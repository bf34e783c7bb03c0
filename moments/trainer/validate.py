"""`validate`: Rasa's own data check plus ours, each problem said in words a trainer can act on.

Each check is a function `(Data) -> List[Problem]`; `CHECKS` lists them in the order they are shown.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

import yaml

from moments.trainer.intent_kinds import HELDOUT_MIN, is_small_talk, min_examples
from moments.trainer.nlu_files import PLACEHOLDER_PREFIX, is_placeholder, norm, read_examples
from moments.trainer.project import LANGS, LANGUAGE_NAMES, Project
from moments.trainer.responses import response_problems

NEAR_DUPLICATE_RATIO = 0.9  # difflib ratio of the normalised texts

# Words (and Chinese characters) that turn a message into its opposite: "betul" (affirm) and "x betul" (deny,
# SMS Malay for "tak betul") differ by one letter but are not near-duplicates.
NEGATION_WORDS = frozenset({
    # en
    "no", "not", "dont", "never", "cannot", "cant", "wont", "isnt", "didnt", "doesnt", "nope", "nah",
    # ms
    "x", "tak", "tk", "tidak", "tdk", "bukan", "bkn", "jangan", "jgn", "belum", "blm", "takde", "xde", "tiada",
    # ta (and Tamil written in Latin letters)
    "இல்லை", "இல்ல", "வேண்டாம்", "வேணாம்", "அல்ல", "முடியாது", "மாட்டேன்", "illa", "illai", "venam", "vendam",
})
NEGATION_CHARS = frozenset("不没沒别別未非无無勿")


def negations(text: str) -> Counter:
    """The negating words of `text` (after norm() of each word) and its Chinese negating characters."""
    words = [norm(w) for w in re.split(r"[\s,.!?;:()\"“”]+", text.replace("'", "").replace("’", ""))]
    found = Counter(w for w in words if w in NEGATION_WORDS)
    found.update(ch for ch in text if ch in NEGATION_CHARS)
    return found


@dataclass
class Problem:
    check: str      # short id, e.g. "too-few-examples" (tests and --json use it)
    where: str      # file and intent, e.g. "data/nlu/ms.yml, intent ask_baby_bonus"
    message: str    # what is wrong
    fix: str = ""   # what to do about it


@dataclass
class Data:
    """Everything the checks read, loaded once."""

    project: Project
    domain: Dict = field(default_factory=dict)
    train: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)    # lang -> intent -> examples
    heldout: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)
    load_problems: List[Problem] = field(default_factory=list)
    response_files: Dict[str, str] = field(default_factory=dict)  # response -> the domain file defining it

    @property
    def intents(self) -> List[str]:
        return list(self.domain.get("intents") or [])

    @classmethod
    def load(cls, project: Project) -> "Data":
        data = cls(project)
        try:
            data.domain = project.domain()
            data.response_files = project.domain_sources("responses")
        except Exception as e:  # noqa: BLE001 - any domain error is the trainer's to fix
            data.load_problems.append(Problem(
                "yaml", "domain/", f"Rasa cannot read the domain: {str(e).strip()[:500]}",
                "Fix the file named in the message (indentation, a missing colon or quote)."))
        for lang in LANGS:
            for kind, path, target in (("train", project.nlu_file(lang), data.train),
                                       ("heldout", project.heldout_file(lang), data.heldout)):
                try:
                    target[lang] = read_examples(path)
                except yaml.YAMLError as e:
                    target[lang] = {}
                    data.load_problems.append(Problem(
                        "yaml", project.rel(path), f"This file is not valid YAML: {str(e)[:300]}",
                        "Check the indentation: examples are '    - text' under '  examples: |'."))
                if not path.exists() and kind == "train":
                    data.load_problems.append(Problem("yaml", project.rel(path), "The file is missing."))
        return data


def _where(project: Project, path: Path, intent: Optional[str] = None) -> str:
    return project.rel(path) + (f", intent {intent}" if intent else "")


# -- checks ---------------------------------------------------------------------------------------

def check_unknown_intents(d: Data) -> List[Problem]:
    known = set(d.intents)
    out = []
    for kind, files in (("train", d.train), ("heldout", d.heldout)):
        for lang, by_intent in files.items():
            path = d.project.nlu_file(lang) if kind == "train" else d.project.heldout_file(lang)
            for intent in by_intent:
                if intent not in known:
                    out.append(Problem(
                        "unknown-intent", _where(d.project, path, intent),
                        f"'{intent}' has examples but is not an intent in domain/.",
                        f"Check the spelling, or create it with: make add-intent NAME={intent}"))
    return out


def check_enough_examples(d: Data) -> List[Problem]:
    out = []
    for lang in LANGS:
        for intent in d.intents:
            real = [e for e in d.train.get(lang, {}).get(intent, []) if not is_placeholder(e)]
            need = min_examples(intent)
            if len(real) < need:
                kind = "small-talk" if is_small_talk(intent) else "task"
                out.append(Problem(
                    "too-few-examples", _where(d.project, d.project.nlu_file(lang), intent),
                    f"{LANGUAGE_NAMES[lang]} has {len(real)} example(s) of {intent}; a {kind} intent needs "
                    f"at least {need}.",
                    f"Add {need - len(real)} more: make add-examples INTENT={intent} IN={lang} "
                    f'EXAMPLES="first way to say it|second way"'))
    for lang in LANGS:
        for intent in d.intents:
            real = [e for e in d.heldout.get(lang, {}).get(intent, []) if not is_placeholder(e)]
            if len(real) < HELDOUT_MIN:
                out.append(Problem(
                    "heldout-coverage", _where(d.project, d.project.heldout_file(lang), intent),
                    f"The test set has {len(real)} {LANGUAGE_NAMES[lang]} example(s) of {intent}; "
                    f"evaluate needs at least {HELDOUT_MIN} to measure it.",
                    f"Add messages the bot has NOT been trained on: make add-examples INTENT={intent} "
                    f'IN={lang} HELDOUT=1 EXAMPLES="…|…"'))
    return out


def check_placeholders(d: Data) -> List[Problem]:
    out = []
    for kind, files in (("train", d.train), ("heldout", d.heldout)):
        for lang, by_intent in files.items():
            path = d.project.nlu_file(lang) if kind == "train" else d.project.heldout_file(lang)
            for intent, examples in by_intent.items():
                n = sum(is_placeholder(e) for e in examples)
                if n:
                    out.append(Problem(
                        "placeholder", _where(d.project, path, intent),
                        f"{n} placeholder line(s) starting with '{PLACEHOLDER_PREFIX}' are still there.",
                        "Add real examples with add-examples (the placeholders then disappear), or "
                        "replace those lines by hand."))
    return out


def check_duplicates(d: Data) -> List[Problem]:
    """The same example (ignoring case, spaces, punctuation) under two intents, in any language."""
    owner: Dict[str, Tuple[str, str, str]] = {}
    out = []
    for lang in LANGS:
        for intent, examples in d.train.get(lang, {}).items():
            for ex in examples:
                if is_placeholder(ex):
                    continue
                key = norm(ex)
                if not key:
                    continue
                first = owner.setdefault(key, (intent, lang, ex))
                if first[0] != intent:
                    out.append(Problem(
                        "duplicate", _where(d.project, d.project.nlu_file(lang), intent),
                        f"'{ex}' is also under {first[0]} ({first[1]}: '{first[2]}'). The bot cannot "
                        "learn two answers for the same message.",
                        "Keep it under the one intent it really means and delete the other line."))
    return out


def check_near_duplicates(d: Data) -> List[Problem]:
    """Almost the same example under two intents in one language (difflib ratio >= 0.9), unless one of them
    negates what the other says (NEGATION_WORDS)."""
    out = []
    for lang in LANGS:
        items = sorted(
            {(norm(e), intent, e) for intent, exs in d.train.get(lang, {}).items() for e in exs
             if not is_placeholder(e) and len(norm(e)) >= 4},
            key=lambda t: len(t[0]))
        reported: Set[Tuple[str, str]] = set()
        bags = [Counter(t[0]) for t in items]
        for i, (a, ia, ea) in enumerate(items):
            # ratio <= 2*len(a)/(len(a)+len(b)): stop once b is too long to reach the threshold.
            max_len = len(a) * (2 / NEAR_DUPLICATE_RATIO - 1)
            need = NEAR_DUPLICATE_RATIO * len(a)
            m = difflib.SequenceMatcher(None, autojunk=False)
            m.set_seq2(a)
            for j in range(i + 1, len(items)):
                b, ib, eb = items[j]
                if len(b) > max_len:
                    break
                if ia == ib or a == b:
                    continue  # exact duplicates are check_duplicates' job
                # Upper bound of the ratio from shared characters (difflib's quick_ratio), cheaply.
                shared = sum((bags[i] & bags[j]).values())
                if 2 * shared < need + NEAR_DUPLICATE_RATIO * len(b) - 1e-9:
                    continue
                m.set_seq1(b)
                if m.ratio() >= NEAR_DUPLICATE_RATIO and (ea, eb) not in reported \
                        and negations(ea) == negations(eb):  # one says "not": opposites, not near-duplicates
                    reported.add((ea, eb))
                    out.append(Problem(
                        "near-duplicate", _where(d.project, d.project.nlu_file(lang)),
                        f"'{ea}' ({ia}) and '{eb}' ({ib}) are almost the same message under two intents.",
                        "If they mean the same thing, keep both under one intent; if not, make the "
                        "difference clearer (reword one)."))
    return out


def check_heldout_leaks(d: Data) -> List[Problem]:
    trained = {norm(e) for by in d.train.values() for exs in by.values() for e in exs}
    out = []
    for lang, by_intent in d.heldout.items():
        for intent, examples in by_intent.items():
            for e in examples:
                if not is_placeholder(e) and norm(e) in trained:
                    out.append(Problem(
                        "heldout-leak", _where(d.project, d.project.heldout_file(lang), intent),
                        f"'{e}' is in the test set and also in the training data, so the score would "
                        "look better than it is.",
                        "Remove it from one of the two files."))
    return out


def check_responses(d: Data) -> List[Problem]:
    out = []
    for name, variations in sorted((d.domain.get("responses") or {}).items()):
        for message in response_problems(name, variations):
            out.append(Problem(
                "response-language", f"{d.response_files.get(name, 'domain/')}, response {name}", message,
                "Each response needs an English text and one variation per language with "
                "condition: [{type: slot, name: language, value: zh|ms|ta}]."))
    return out


def _intents_in_steps(steps: Iterable) -> Set[str]:
    found: Set[str] = set()
    for step in steps or []:
        if not isinstance(step, dict):
            continue
        if "intent" in step:
            found.add(str(step["intent"]))
        for alt in step.get("or") or []:
            if isinstance(alt, dict) and "intent" in alt:
                found.add(str(alt["intent"]))
    return found


def intents_used_in_dialogue(project: Project) -> Set[str]:
    used: Set[str] = set()
    for folder in (project.rules_dir, project.stories_dir):
        for path in sorted(folder.rglob("*.yml")) if folder.exists() else []:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in (doc.get("rules") or []) + (doc.get("stories") or []):
                used |= _intents_in_steps(item.get("steps"))
    return used


def check_intents_used(d: Data) -> List[Problem]:
    try:
        used = intents_used_in_dialogue(d.project)
    except yaml.YAMLError as e:
        return [Problem("yaml", "data/rules or data/stories", f"A rules/stories file is not valid YAML: {e}")]
    return [Problem(
        "unused-intent", f"intent {intent}",
        f"{intent} is in the domain but no rule or story says what the bot does after it.",
        f"Add a rule, e.g. data/rules/{intent}.yml with steps: - intent: {intent} / - action: utter_{intent}")
        for intent in d.intents if intent not in used]


_LEFTOVER_MARKUP = re.compile(r"\[[^\]]*\]\s*[({]|\]\(|\]\{")


def check_entities(d: Data) -> List[Problem]:
    """[text](entity) annotations parse, and name an entity the domain declares."""
    from rasa.shared.nlu.training_data import entities_parser

    declared = set()
    for e in d.domain.get("entities") or []:
        declared.add(e if isinstance(e, str) else next(iter(e)))
    out = []
    for kind, files in (("train", d.train), ("heldout", d.heldout)):
        for lang, by_intent in files.items():
            path = d.project.nlu_file(lang) if kind == "train" else d.project.heldout_file(lang)
            for intent, examples in by_intent.items():
                for ex in examples:
                    if "[" not in ex and "]" not in ex:
                        continue
                    try:
                        entities = entities_parser.find_entities_in_training_example(ex)
                        plain = entities_parser.replace_entities(ex)
                    except Exception as e:  # noqa: BLE001 - Rasa raises various errors for bad markup
                        out.append(Problem("entity", _where(d.project, path, intent),
                                           f"'{ex}': the entity markup cannot be read ({e}).",
                                           "Write entities as [words](entity_name)."))
                        continue
                    if _LEFTOVER_MARKUP.search(plain) or plain.count("[") != plain.count("]"):
                        out.append(Problem("entity", _where(d.project, path, intent),
                                           f"'{ex}': the entity markup is broken (a bracket or parenthesis "
                                           "is missing).",
                                           "Write entities as [words](entity_name), e.g. [Tamil](language)."))
                    for ent in entities:
                        if ent["entity"] not in declared:
                            out.append(Problem("entity", _where(d.project, path, intent),
                                               f"'{ex}' marks an entity '{ent['entity']}' the domain does not "
                                               f"declare (known: {', '.join(sorted(declared)) or 'none'}).",
                                               "Fix the name, or add the entity under entities: in domain/."))
    return out


CATCH_ALL = "out_of_scope"
TOPIC_SHARE = 0.2        # a topic word is in at least this share of the new intent's examples …
TOPIC_ELSEWHERE = 0.001  # … in at most this share (or 1) of the other intents' examples …
TOPIC_CATCH_ALL_MAX = 3  # … and in at most this many out_of_scope examples (more: it is a common word)


def _topic_tokens(text: str, lang: str) -> Set[str]:
    t = text.casefold()
    words = {w for w in re.findall(r"[^\W\d_]+", t) if len(w) >= 5}
    if lang == "zh":
        han = re.findall(r"[\u4e00-\u9fff]+", t)
        words = {h[i:i + 2] for h in han for i in range(len(h) - 1)} | {w for w in words if w.isascii()}
    return words


def live_intents(project: Project) -> Optional[Set[str]]:
    """The intents of the live model (models/moments.tar.gz), or None when there is none."""
    from moments.trainer.evaluate import model_intents

    if not project.deployed_model.exists():
        return None
    return set(model_intents(project.deployed_model)) or None


def check_topic_overlap(d: Data) -> List[Problem]:
    """out_of_scope examples about the topic of an intent the live model does not know yet.

    When a topic becomes an intent (ask_preschool), out_of_scope usually still has examples about it; trained
    as both, the bot cannot learn either. The topic's words are the ones frequent in the new intent's examples
    and rare everywhere else."""
    live = live_intents(d.project)
    if live is None:
        return []
    out = []
    for lang in LANGS:
        by_intent = {i: [e for e in exs if not is_placeholder(e)] for i, exs in d.train.get(lang, {}).items()}
        catch_all = by_intent.get(CATCH_ALL) or []
        catch_tokens = [_topic_tokens(e, lang) for e in catch_all]
        catch_count = Counter(t for toks in catch_tokens for t in toks)
        for intent, examples in sorted(by_intent.items()):
            if intent in live or intent == CATCH_ALL or len(examples) < 4:
                continue
            mine = Counter(t for e in examples for t in _topic_tokens(e, lang))
            others = [_topic_tokens(e, lang) for i, exs in by_intent.items() if i not in (intent, CATCH_ALL)
                      for e in exs]
            elsewhere = Counter(t for toks in others for t in toks)
            topic = {t for t, n in mine.items() if n >= max(3, TOPIC_SHARE * len(examples))
                     and elsewhere[t] <= max(1, TOPIC_ELSEWHERE * len(others)) and catch_count[t] <= TOPIC_CATCH_ALL_MAX}
            hits = [(e, sorted(toks & topic)) for e, toks in zip(catch_all, catch_tokens) if toks & topic]
            for example, words in hits:
                out.append(Problem(
                    "topic-overlap", _where(d.project, d.project.nlu_file(lang), CATCH_ALL),
                    f"'{example}' is under {CATCH_ALL} but it is about {intent} (new: the live model does not know "
                    f"it yet; '{words[0]}' is one of its words).",
                    f"If it is about {intent}, move it: make move-examples FROM={CATCH_ALL} TO={intent} IN={lang} "
                    f'MATCH="{words[0]}"   (LIST=1 first shows what would move). If it is not, reword it.'))
    return out


CHECKS: List[Tuple[str, Callable[[Data], List[Problem]]]] = [
    ("intents in the language files exist in the domain", check_unknown_intents),
    ("placeholders replaced", check_placeholders),
    ("enough examples per intent in every language", check_enough_examples),
    ("no example under two intents", check_duplicates),
    ("no near-duplicates across intents", check_near_duplicates),
    ("out_of_scope has nothing about a new intent", check_topic_overlap),
    ("test set not trained on", check_heldout_leaks),
    ("every response in all four languages", check_responses),
    ("every intent used in a rule or story", check_intents_used),
    ("entity annotations", check_entities),
]


# -- rasa data validate ----------------------------------------------------------------------------

_RASA_NOISE = ("DeprecationWarning", "MovedIn20Warning", "declare_namespace", "pkg_resources",
               "xla_computation", "Slot auto-fill", "raise_warning(", "import pkg_resources",
               "Base: DeclarativeMeta", "from jax import")


_NOT_USED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")


def responses_sent_by_code(project: Project, domain: Optional[Dict] = None) -> Set[str]:
    """Responses code sends by name, and the questions forms ask (utter_ask_<slot>).

    Code: the custom actions (actions/, every sub-package) and what runs inside the Rasa server (moments/, e.g.
    resilience.py's utter_action_server_down when the action server is down; the trainer's own templates aside).
    Rasa cannot see those, so its "utterance not used in any story or rule" warning is expected for them (the
    same rule as tests/test_rasa_data.py).
    """
    import moments

    actions_dir = project.root / "actions"
    if not actions_dir.is_dir():
        from moments.trainer.project import DEFAULT_ROOT

        actions_dir = DEFAULT_ROOT / "actions"
    code_dir = Path(moments.__file__).parent
    files = list(actions_dir.rglob("*.py")) if actions_dir.is_dir() else []
    files += [p for p in code_dir.rglob("*.py") if (code_dir / "trainer") not in p.parents]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    named = set(re.findall(r"\butter_\w+", source))
    forms = (domain or {}).get("forms") or {}
    for name, form in forms.items():
        for slot in (form or {}).get("required_slots") or []:
            named |= {f"utter_ask_{slot}", f"utter_ask_{name}_{slot}"}
    return named


def rasa_problems(project: Project, domain: Optional[Dict] = None) -> List[Problem]:
    """Runs `rasa data validate`: its errors, and its warnings except the expected ones, become problems."""
    result = project.run_rasa(["data", "validate", "--domain", "domain", "--data", "data",
                               "--config", "config.yml"], timeout=600)
    try:
        sent_by_code = responses_sent_by_code(project, domain if domain is not None else project.domain())
    except Exception:  # noqa: BLE001 - a broken domain is reported by Rasa itself
        sent_by_code = set()
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + "\n" + result.stderr)
    complaints: List[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if any(n in line for n in _RASA_NOISE):
            continue
        if "UserWarning:" in line:
            complaints.append(line.split("UserWarning:", 1)[1].strip())
        elif re.search(r"\b(ERROR|WARNING)\b", line) and " - " in line:
            complaints.append(line.split(" - ", 1)[1].strip())
        elif line.startswith(("YamlSyntaxException", "YamlValidationException", "InvalidDomain",
                              "rasa.shared.exceptions", "Traceback")):
            complaints.append(" ".join(l.strip() for l in lines[i:i + 6]))
    if result.returncode != 0 and not complaints:
        complaints.append((text.strip().splitlines() or ["rasa data validate failed"])[-1])
    seen: Set[str] = set()
    out = []
    for c in complaints:
        if c in seen or not c:
            continue
        unused = _NOT_USED.search(c)
        if unused and unused.group(1) in sent_by_code:
            continue
        seen.add(c)
        out.append(Problem("rasa", "rasa data validate", c, _rasa_hint(c)))
    return out


def _rasa_hint(message: str) -> str:
    lower = message.lower()
    if "not used in any story or rule" in lower or "is not used" in lower:
        return "Add a rule that uses it (see data/rules/) or remove it from the domain."
    if "utterance" in lower and ("not" in lower and "domain" in lower):
        return "A rule or story uses a response that domain/ does not define: add it or fix the name."
    if "duplicate" in lower or "conflict" in lower:
        return "Two rules/stories or examples disagree: keep one answer per situation."
    if "yaml" in lower or "indent" in lower:
        return "A file is not valid YAML: check indentation and quotes around the line named."
    return "See the message; fix the file it names and run validate again."


# -- running all ----------------------------------------------------------------------------------

@dataclass
class Report:
    problems: List[Problem]
    checked: List[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_check(self) -> Dict[str, List[Problem]]:
        out: Dict[str, List[Problem]] = defaultdict(list)
        for p in self.problems:
            out[p.check].append(p)
        return out


def validate(project: Project, run_rasa: bool = True) -> Report:
    from moments.trainer.project import broken_yaml_files

    broken = broken_yaml_files(project)
    if broken:
        # One broken file makes every later check wrong (an unreadable language file "has 0 examples" of
        # everything): say only that, once, with the line, and nothing else until it is fixed.
        first = broken[0]
        where = f"{first.rel_path}, line {first.line}" if first.line else first.rel_path
        return Report([Problem("yaml", where, f"This file cannot be read: {first.problem}",
                               "Fix this one line, save, and run make validate again "
                               "(nothing else is checked until the file can be read).")],
                      ["the files can be read (YAML)"])
    data = Data.load(project)
    problems = list(data.load_problems)
    checked = []
    if not any(p.where.startswith("domain") for p in data.load_problems):
        for title, check in CHECKS:
            checked.append(title)
            problems += check(data)
    if run_rasa:
        checked.append("rasa data validate")
        problems += rasa_problems(project, data.domain)
    return Report(problems, checked)


def format_report(report: Report, limit_per_check: int = 15) -> str:
    lines = []
    if report.ok:
        lines.append(f"OK: all {len(report.checked)} checks passed:")
        lines += [f"  ✓ {c}" for c in report.checked]
        return "\n".join(lines)
    groups = report.by_check()
    lines.append(f"Found {len(report.problems)} problem(s) to fix before training:\n")
    for check, problems in groups.items():
        lines.append(f"[{check}] {len(problems)} problem(s)")
        for p in problems[:limit_per_check]:
            lines.append(f"  ✗ {p.where}: {p.message}")
            if p.fix:
                lines.append(f"      → {p.fix}")
        if len(problems) > limit_per_check:
            lines.append(f"  … and {len(problems) - limit_per_check} more like these")
        lines.append("")
    return "\n".join(lines).rstrip()
