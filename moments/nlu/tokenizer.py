"""MomentsTokenizer: one tokenizer for English, Chinese, Malay and Tamil, and any mix of them.

Han-script runs are segmented with jieba; everything else goes through a spaCy *blank* pipeline
(`ta` when the run contains Tamil script, `en` otherwise; Malay is tokenised well by the Latin rules).
Tokens always carry offsets into the original message, whitespace never becomes a token (the bug that
bites Rasa's own JiebaTokenizer on "我要 register" style text), and punctuation is dropped except
question marks, which tell a question ("how to register?") from a request.
"""
from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from moments.nlu.scripts import HAN, split_runs
from moments.nlu.social import request_span

logger = logging.getLogger(__name__)

TERMS_FILE = Path(__file__).with_name("zh_terms.txt")
KEEP_PUNCT = {"?", "？"}


def _is_dropped(word: str) -> bool:
    """Whitespace and punctuation-only tokens carry no meaning for the classifier."""
    stripped = word.strip().replace("\ufffd", "")  # U+FFFD: what is left of a lone surrogate
    if not stripped:
        return True
    if stripped in KEEP_PUNCT:
        return False
    return all(not ch.isalnum() and _is_punct(ch) for ch in stripped)


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


class _Segmenters:
    """Lazily built, process-wide segmenters (spaCy blank pipelines and one jieba instance)."""

    _lock = threading.Lock()
    _spacy: Dict[str, Any] = {}
    _jieba: Optional[Any] = None

    @classmethod
    def spacy(cls, lang: str) -> Any:
        nlp = cls._spacy.get(lang)
        if nlp is None:
            with cls._lock:
                nlp = cls._spacy.get(lang)
                if nlp is None:
                    import spacy

                    nlp = spacy.blank(lang)
                    cls._spacy[lang] = nlp
        return nlp

    @classmethod
    def jieba(cls) -> Any:
        if cls._jieba is None:
            with cls._lock:
                if cls._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    if TERMS_FILE.exists():
                        for line in TERMS_FILE.read_text(encoding="utf-8").splitlines():
                            term = line.split("#", 1)[0].strip()
                            if term:
                                tokenizer.add_word(term, freq=20000)
                    cls._jieba = tokenizer
        return cls._jieba


def _blank_controls(text: str) -> str:
    """Replaces control and invisible format characters (NUL, RTL overrides …) with spaces, and lone surrogates
    (half an emoji from a broken client: "\\ud83d", which jieba and spaCy cannot encode) with U+FFFD.

    Same length as the input, so token offsets still point into the original message. Zero-width
    (non-)joiners are kept: Tamil spelling and emoji sequences use them.
    """
    return "".join(
        "\ufffd" if "\ud800" <= ch <= "\udfff"
        else " " if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200c\u200d" else ch
        for ch in text
    )


def _without_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def tokenize_text(text: str) -> List[Token]:
    """Tokenises `text` into Rasa tokens with offsets; never returns whitespace tokens."""
    tokens: List[Token] = []
    for run in split_runs(_blank_controls(text)):
        if run.script == HAN:
            for word, start, end in _Segmenters.jieba().tokenize(run.text):
                if not _is_dropped(word):
                    tokens.append(Token(word, run.start + start, run.start + end))
        else:
            lang = "ta" if any(0x0B80 <= ord(c) <= 0x0BFF for c in run.text) else "en"
            for tok in _Segmenters.spacy(lang).make_doc(run.text):
                if not _is_dropped(tok.text):
                    start = run.start + tok.idx
                    tokens.append(Token(tok.text, start, start + len(tok.text)))
    return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MomentsTokenizer(Tokenizer):
    """Script-aware tokenizer for en/zh/ms/ta (spaCy blank pipelines + jieba)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "jieba"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MomentsTokenizer":
        # Warm the segmenters once so the first user message does not pay for loading them.
        _Segmenters.jieba()
        _Segmenters.spacy("en")
        _Segmenters.spacy("ta")
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Messages at inference: a greeting, thanks or apology around a request is dropped from the tokens
        (moments/nlu/social.py); training examples keep theirs (process_training_data)."""
        messages = super().process(messages)
        for message in messages:
            text, tokens = message.get(TEXT), message.get(TOKENS_NAMES[TEXT])
            if isinstance(text, str) and tokens and len(tokens) > 1:
                first, last = request_span(text, [(t.text, t.start, t.end) for t in tokens])
                if (first, last) != (0, len(tokens)):
                    message.set(TOKENS_NAMES[TEXT], tokens[first:last])
        return messages

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = tokenize_text(text)
        if not tokens:
            # Rasa's featurizers expect at least one token; mirror WhitespaceTokenizer's behaviour.
            tokens = [Token(_without_surrogates(text), 0, len(text))]
        return self._apply_token_pattern(tokens)
