"""ConceptFeaturizer: the domain's concepts (appointment, vaccination, cancel, a person, yes, no …) as features.

An unseen phrasing that contains a known concept word should still be understood: "nak tukar tarikh temujanji"
or "appointment-ah maathanum" carry `reschedule` + `appointment` whatever the other words are. The lexicon
(moments/nlu/concepts.yml) holds one list per concept with all four languages, their loanwords, abbreviations,
common misspellings and romanised Tamil. For each message this component adds one sparse feature per concept, at
sentence level (the concept occurs) and token level (this token is part of an occurrence), like Rasa's
RegexFeaturizer does for lookup tables — but matching per script rather than with one regex:

- Latin: whole words, case-insensitive; entries of 4+ letters also as a word prefix (inflections, romanised Tamil
  suffixes: "appointmentukku"); entries of 6+ letters also with one typo (one substitution, insertion, deletion or
  swap of neighbours: "apointment", "cancle"); shorter entries only exactly ("no" never matches "not" or "now").
- Han: substring of the Han text (Chinese has no spaces; jieba's segmentation need not agree with the entry).
- Tamil: stem prefix of a word (Tamil glues case endings and clitics on: சந்திப்பு → சந்திப்பை, சந்திப்புக்கு).

The lexicon is read at training time and stored in the model, so a deployed model never changes behaviour when the
file changes; the file's hash is part of the training fingerprint, so an edit retrains this component.
"""
from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Text, Tuple, Type

import numpy as np
import scipy.sparse
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from moments.nlu.scripts import count_scripts, is_han, is_tamil

logger = logging.getLogger(__name__)

LEXICON_FILE = Path(__file__).with_name("concepts.yml")
LANGS = ("en", "zh", "ms", "ta")
PREFIX_MIN = 4  # Latin entries this long also match as a prefix of a longer word
TYPO_MIN = 6  # Latin entries this long also match with one typo
TAMIL_PREFIX_MIN = 3  # Tamil stems this long (code points) match as a prefix; shorter ones (பை "bye") only exactly
STORED = "concepts.json"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _deletes(word: str) -> Set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_typo(a: str, b: str) -> bool:
    """True when a and b differ by exactly one substitution, insertion, deletion or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


_TAMIL_VOWEL_SIGNS = {chr(c) for c in range(0x0BBE, 0x0BCD)}  # ா … ௌ (not the virama ்)


def tamil_stem(entry: str) -> str:
    """The entry without a final vowel sign, so that case endings still match (பதிவு → பதிவ- : பதிவை)."""
    if len(entry) > 3 and entry[-1] in _TAMIL_VOWEL_SIGNS:
        return entry[:-1]
    return entry


class _WordIndex:
    """Words (Latin or Tamil) -> payloads, looked up by exact word, prefix, one typo or Tamil stem in O(len(word))."""

    def __init__(self) -> None:
        self.exact: Dict[str, Set[Any]] = {}
        self.prefix: Dict[str, Set[Any]] = {}  # Latin entries of PREFIX_MIN+ letters, and Tamil stems
        self.typo: Dict[str, Set[str]] = {}  # delete-one form -> Latin entries of TYPO_MIN+ letters

    def add(self, word: str, payload: Any) -> None:
        if any(is_tamil(ch) for ch in word):
            stem = tamil_stem(word)
            self.exact.setdefault(stem, set()).add(payload)
            if len(stem) >= TAMIL_PREFIX_MIN:
                self.prefix.setdefault(stem, set()).add(payload)
            return
        self.exact.setdefault(word, set()).add(payload)
        if len(word) >= PREFIX_MIN:
            self.prefix.setdefault(word, set()).add(payload)
        if len(word) >= TYPO_MIN:
            for form in _deletes(word) | {word}:
                self.typo.setdefault(form, set()).add(word)

    def lookup(self, word: str) -> Set[Any]:
        """Payloads of the entries `word` (already normalised) matches."""
        found = set(self.exact.get(word, ()))
        tamil = any(is_tamil(ch) for ch in word)
        for k in range(TAMIL_PREFIX_MIN if tamil else PREFIX_MIN, len(word)):
            found |= self.prefix.get(word[:k], set())
        if not tamil and len(word) >= TYPO_MIN - 1 and self.typo:
            for entry in self._typo_candidates(word):
                found |= self.exact[entry]
            for k in range(TYPO_MIN, len(word)):  # a typo in the stem of an inflected word: "apointments"
                for entry in self._typo_candidates(word[:k]):
                    found |= self.exact[entry]
        return found

    def _typo_candidates(self, word: str) -> Iterable[str]:
        seen: Set[str] = set()
        for form in _deletes(word) | {word}:
            seen |= self.typo.get(form, set())
        return (e for e in seen if _one_typo(word, e))


@dataclass
class ConceptMatcher:
    """Finds concept occurrences in a list of words (Latin and Tamil) and in Han text."""

    concepts: List[str]
    lexicon: Dict[str, Dict[str, List[str]]]
    _words: _WordIndex = field(default_factory=_WordIndex)  # single-word entries -> concept
    _phrase_words: _WordIndex = field(default_factory=_WordIndex)  # words of multi-word entries -> themselves
    _phrases: Dict[str, List[Tuple[Tuple[str, ...], int]]] = field(default_factory=dict)  # first word -> entries
    _han: List[Tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for index, concept in enumerate(self.concepts):
            for entries in (self.lexicon.get(concept) or {}).values():
                for raw in entries or []:
                    self._add(str(raw), index)

    def _add(self, raw: str, concept: int) -> None:
        entry = _norm(raw).strip()
        if not entry:
            return
        if any(is_han(ch) for ch in entry):
            self._han.append((entry, concept))
            return
        words = tuple(w for w in entry.replace("-", " ").split() if w) or (entry,)
        if len(words) == 1:
            self._words.add(words[0], concept)
            return
        for w in words:
            self._phrase_words.add(w, w)
        self._phrases.setdefault(words[0], []).append((words, concept))

    def word_concepts(self, word: str) -> Set[int]:
        """Concepts a single (Latin or Tamil) word belongs to."""
        return self._words.lookup(_norm(word))

    # --- a message ----------------------------------------------------------------------------------------------
    def match(self, text: str, tokens: List[Tuple[str, int, int]]) -> List[Tuple[int, int, int]]:
        """[(concept, start, end)] character spans of concept occurrences in `text`; tokens are (text, start, end)."""
        spans: List[Tuple[int, int, int]] = []
        words = [(_norm(t), s, e) for t, s, e in tokens if not any(is_han(ch) for ch in t)]
        for w, s, e in words:
            for concept in self._words.lookup(w):
                spans.append((concept, s, e))
        if self._phrases and len(words) > 1:
            matched = [self._phrase_words.lookup(w) for w, _, _ in words]  # entry words each word matches
            for i, firsts in enumerate(matched):
                for first in firsts:
                    for entry_words, concept in self._phrases.get(first, ()):
                        n = len(entry_words)
                        if i + n <= len(words) and all(entry_words[j] in matched[i + j] for j in range(1, n)):
                            spans.append((concept, words[i][1], words[i + n - 1][2]))
        if self._han and count_scripts(text).han:
            lowered = _norm(text)
            same_length = len(lowered) == len(text)  # casefold may lengthen "ß"; offsets then are approximate
            for entry, concept in self._han:
                start = lowered.find(entry)
                while start >= 0:
                    end = start + len(entry)
                    spans.append((concept, start, end) if same_length else (concept, 0, len(text)))
                    start = lowered.find(entry, start + 1)
        return spans

    def concept_names(self, text: str) -> Set[str]:
        """The concepts found in `text`, tokenised as the pipeline does (for tests and `make eval` reading)."""
        from moments.nlu.tokenizer import tokenize_text

        tokens = [(t.text, t.start, t.end) for t in tokenize_text(text)]
        return {self.concepts[c] for c, _, _ in self.match(text, tokens)}


def load_lexicon(path: Path = LEXICON_FILE) -> Dict[str, Dict[str, List[str]]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping of concept -> language -> [entries]")
    lexicon: Dict[str, Dict[str, List[str]]] = {}
    for concept, by_lang in doc.items():
        if not isinstance(by_lang, dict) or set(by_lang) - set(LANGS):
            raise ValueError(f"{path}: concept {concept!r} must map some of {LANGS} to lists")
        for lang, entries in by_lang.items():
            bad = [e for e in entries or [] if not isinstance(e, str)]
            if bad:  # YAML reads a bare yes/no/y/n as a boolean, 1 as a number: quote them
                raise ValueError(f"{path}: {concept}/{lang}: quote the entries {bad!r}")
        lexicon[str(concept)] = {lang: list(by_lang.get(lang) or []) for lang in LANGS}
    return lexicon


def lexicon_hash(path: Path = LEXICON_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ConceptFeaturizer(SparseFeaturizer, GraphComponent):
    """One sparse feature per concept of moments/nlu/concepts.yml, at token and sentence level."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SparseFeaturizer.get_default_config(), "lexicon": None}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @classmethod
    def _lexicon_path(cls, config: Dict[Text, Any]) -> Path:
        return Path(config["lexicon"]) if config.get("lexicon") else LEXICON_FILE

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """An edit of the lexicon file retrains this component (Rasa's cache would otherwise keep the old one)."""
        path = cls._lexicon_path(config)
        return lexicon_hash(path) if path.exists() else None

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext,
                 lexicon: Optional[Dict[str, Dict[str, List[str]]]] = None) -> None:
        SparseFeaturizer.__init__(self, execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._config = config
        self._set_lexicon(lexicon or {})

    def _set_lexicon(self, lexicon: Dict[str, Dict[str, List[str]]]) -> None:
        self.lexicon = lexicon
        self.matcher = ConceptMatcher(sorted(lexicon), lexicon)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ConceptFeaturizer":
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        self._set_lexicon(load_lexicon(self._lexicon_path(self._config)))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / STORED).write_text(json.dumps(self.lexicon, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ConceptFeaturizer":
        lexicon = None
        try:
            with model_storage.read_from(resource) as directory:
                lexicon = json.loads((directory / STORED).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("ConceptFeaturizer: no stored lexicon in the model; adding no concept features")
        return cls(config, model_storage, resource, execution_context, lexicon=lexicon)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT], [])
        if not text or not tokens or not self.matcher.concepts:
            return
        spans = self.matcher.match(text, [(t.text, t.start, t.end) for t in tokens])
        sequence = np.zeros([len(tokens), len(self.matcher.concepts)])
        sentence = np.zeros([1, len(self.matcher.concepts)])
        for concept, start, end in spans:
            sentence[0, concept] = 1.0
            for i, t in enumerate(tokens):
                if t.start < end and t.end > start:
                    sequence[i, concept] = 1.0
        self.add_features_to_message(scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence),
                                     TEXT, message)


def default_matcher() -> ConceptMatcher:
    lexicon = load_lexicon()
    return ConceptMatcher(sorted(lexicon), lexicon)

