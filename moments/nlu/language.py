"""Language detection for en/zh/ms/ta, and extraction of a language the user asks for by name.

`detect_language(text)` returns "en", "zh", "ms", "ta" or None. It is deliberately conservative:
the conversation's `language` slot follows its answer, so "ok", "1", "yes", "👍", a name or a
number must give None (keep the current language), while a real sentence in another language switches.

- Han or Tamil script decides by itself (code-mixed "我要register孩子的出生" is Chinese,
  "baby bonus apply பண்ணணும்" is Tamil).
- Latin script: a set phrase names its language by itself ("assalamualaikum", "salam" → ms; "vanakkam" → ta);
  romanised Tamil ("enakku appointment venum") is Tamil when its marker words, counted twice, are at least as many
  as the English and Malay ones; otherwise English or Malay: function words that each community types (and that the other
  rarely code-mixes) decide, and lingua — restricted to English and Malay — breaks ties and judges
  longer messages without such words. Content words both communities share ("apply", "baby bonus",
  "appointment") count for neither.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from moments.nlu.scripts import count_scripts

LANGUAGES = ("en", "zh", "ms", "ta")
DETECTED_ENTITY = "detected_language"
REQUESTED_ENTITY = "language"
EXTRACTOR = "LanguageDetector"

MIN_LATIN_WORDS = 3  # fewer Latin words ("ok", "thank you", "Tan Wei Ming") never switch the language
LINGUA_MIN_WORDS = 6  # without marker words, lingua alone decides only on long messages (not names)
LINGUA_MIN_CONFIDENCE = 0.9

EN_MARKERS = frozenset(
    """i i'm im my me mine you your yours we our he she his her it its they them their the a an is are
    am was were be been being do does did don't doesn't didn't have has had what how when where which
    who whom why this that these those there here want wants wanted need needs would could should will
    shall to of for from with about into on in at by and or but if please thank thanks much many
    any some good morning afternoon evening can't cannot won't isn't aren't just also only still already yet after before
    can got anyone someone something anything nothing else other another gotta see ahead not no wrong pls plz bye
    make new next last back let lets let's tell show give know dont thats that's it's what's whats im ive i've
    u ur really one""".split()
)
MS_MARKERS = frozenset(
    """saya aku sy kami kita awak anda engkau kau dia mereka nak hendak mahu mau tak tidak tk bukan
    boleh blh macam mcm camne camana bagaimana mana bila apa ape kenapa mengapa berapa brp siapa ke kat
    di dari daripada pada dah sudah belum lagi untuk utk dengan dgn dan atau yang yg ini ni itu tu ada
    ade tolong terima kasih selamat sila kena perlu harus mesti anak bayi kelahiran daftar mendaftar
    pendaftaran permohonan mohon memohon temujanji suntikan imunisasi vaksin jumpa baik betul salah
    tukar batal batalkan ubah tunda semak bahasa inggeris melayu cina tamil pun je jer sahaja saje cuma
    nanti esok semalam pagi petang malam hari minggu bulan tahun isteri suami encik cik puan bagi beri dapat kan ke-
    punya eh sihat sangat sgt membantu cucu kensel jom lepas sebab kalau tapi juga semua pergi datang buat beli
    bayar guna cakap tanya hantar ambil baru mak ayah abah emak nenek atuk""".split()
)

# Romanised Tamil ("Tanglish" typed on a Latin keyboard): function words, verb endings and everyday words that
# neither English nor Malay (nor Singlish particles: lah, lor, meh, ah) uses. When they outnumber the English and
# Malay markers the message is Tamil. Names ("Kavin Raj", "Muthu") are deliberately absent.
TA_ROMAN_MARKERS = frozenset(
    """enakku enaku ennaku enakk naan naanu nanga naanga unga ungal ungaluku ungalukku avanga ivanga yaaru yaar
    venum venun vennum venam venaam vendam vendaam vendum venuma venumaa pannunga pannungal pannanum pannunum
    pannalaam pannalama pannitten pannitaen pannidunga pannu panna pannuven panren eppo eppa eppadi epdi ippo ippa
    appo appuram apram illa illai ille illaya illaiya irukku iruku irukka irukkaa irukkum irukkanga irukeenga
    irukinga sollunga sollu solla sollanum sollunga sollungal theriyum theriyala theriyuma mudiyum mudiyala
    mudiyuma aachu aacha achu aagum aaguma enna ennoda ennudaiya evlo evvalavu evalavu ethana ethanai
    enga engey konjam romba rombha nandri vanakkam vanakam vannakam kuzhandhai kulanthai kuzhanthai kozhandhai
    paapa pappa paiyan ponnu varanum poganum varen poren vaanga ponga paakanum paakalam paarkanum kodunga
    kudunga thaanga thanga seyyanum seiyanum seyyunga maathanum maathunga mathanum ratthu thaduppoosi
    thadupoosi oosi pathivu padhivu thappu podunga ellam ellathayum intha antha ithu athu aama aamaa seri sari sariyaa sariya sariyilla pesanum pesa pesunga oru nalla nallaa kitta kittae kitte""".split()
)

# Set phrases that name their language on their own, however short: the Muslim greetings Malay speakers use,
# and the Tamil greeting and thanks typed in Latin letters. Compared after lower-casing, without punctuation.
SET_PHRASES: Dict[str, str] = {
    **{p: "ms" for p in (
        "assalamualaikum", "assalamualaikom", "asalamualaikum", "assalammualaikum", "assalamu alaikum",
        "assalamualaikum wbt", "assalamualaikum warahmatullah", "salam", "salam sejahtera", "salam semua",
        "waalaikumsalam", "wa alaikum salam", "waalaikumussalam", "wassalam", "salam alaikum", "salam cik",
        "salam puan", "salam encik", "assalamualaikum cik", "assalamualaikum puan", "assalamualaikum encik")},
    **{p: "ta" for p in (
        "vanakkam", "vanakam", "vannakam", "vanakkam sir", "vanakkam madam", "vanakkamnga", "vanakkam nga",
        "nandri", "romba nandri", "rombha nandri", "nandri nga", "nandringa")},
}
# Tamil verb endings typed in Latin letters (pannunga, sollunga, azhinga, kekkatheenga, pannanum, paakanum): a word
# of 6+ letters ending so is a Tamil marker too (no English or Malay word of that length ends so; "bunga" is 5).
TA_ROMAN_ENDINGS = ("unga", "inga", "eenga", "anum")
MS_GREETINGS = frozenset({"assalamualaikum", "assalamualaikom", "asalamualaikum", "assalammualaikum",
                          "waalaikumsalam", "waalaikumussalam", "wassalam", "salam", "sejahtera", "alaikum"})

# Names of the four languages, as users type them in any of the four languages.
LANGUAGE_NAMES: Dict[str, List[str]] = {
    "en": ["english", "inggeris", "inggris", "ingeris", "英文", "英语", "英語", "ஆங்கில"],
    "zh": ["chinese", "mandarin", "cina", "china", "华语", "華語", "中文", "汉语", "漢語", "华文",
           "華文", "普通话", "國語", "சீன", "மாண்டரின்"],
    "ms": ["malay", "melayu", "马来语", "馬來語", "马来文", "巫语", "巫文", "马来话", "மலாய்"],
    "ta": ["tamil", "淡米尔", "淡米爾", "坦米尔", "தமிழ"],
}
_NEGATIONS = ("not ", "no ", "bukan ", "tak nak ", "don't ", "dont ", "不要", "不是", "不用", "instead of ")

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


class _Lingua:
    _lock = threading.Lock()
    _detector: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._detector is None:
            with cls._lock:
                if cls._detector is None:
                    from lingua import Language, LanguageDetectorBuilder

                    cls._detector = (
                        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.MALAY)
                        .with_preloaded_language_models()
                        .build()
                    )
        return cls._detector


def _lingua_latin(text: str) -> Optional[tuple]:
    """(language, confidence) of the best of English/Malay according to lingua."""
    values = _Lingua.get().compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    code = {"ENGLISH": "en", "MALAY": "ms"}.get(best.language.name)
    return (code, best.value) if code else None


_CODE_CHARS = set("<>{}[]=;\"'`|\\/$")


def _looks_like_code(text: str) -> bool:
    """Markup, JSON or SQL pasted into the chat is no evidence of the user's language."""
    visible = [ch for ch in text if not ch.isspace()]
    return len(visible) >= 8 and sum(ch in _CODE_CHARS for ch in visible) >= 0.15 * len(visible)


def detect_language(text: Optional[str]) -> Optional[str]:
    """The language a message is written in, or None when it is too short or mixed to tell."""
    if not text or text.startswith("/"):  # "/intent{...}" payloads from buttons carry no language
        return None
    text = text[:2000]  # the first 2,000 characters are plenty to judge; keeps huge messages cheap
    if _looks_like_code(text):
        return None
    counts = count_scripts(text)
    if counts.han or counts.tamil:
        if counts.han >= 2 * counts.tamil and counts.han:
            return "zh"
        if counts.tamil >= 2 * max(counts.han, 1) or (counts.tamil and not counts.han):
            return "ta"
        return None
    if not counts.latin:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    phrase = SET_PHRASES.get(" ".join(words))
    if phrase and not any(ch.isdigit() for ch in text):
        return phrase
    n_en = sum(w in EN_MARKERS for w in words)
    n_ms = sum(w in MS_MARKERS or w in MS_GREETINGS for w in words)
    n_ta = sum(w in TA_ROMAN_MARKERS or (len(w) >= 6 and w.endswith(TA_ROMAN_ENDINGS)) for w in words)
    # Tanglish borrows English freely ("ok la, go ahead pannunga") while English and Malay never use these words:
    # a Tamil marker weighs twice.
    if n_ta and 2 * n_ta >= n_en + n_ms and (len(words) >= MIN_LATIN_WORDS or n_ta == len(words) >= 2):
        return "ta"  # romanised Tamil dominates ("enakku appointment venum")
    if len(words) < MIN_LATIN_WORDS:
        # A two-word phrase made only of one language's words ("selamat pagi", "terima kasih") is enough.
        if len(words) == 2 and (n_ms == 2) != (n_en == 2):
            return "ms" if n_ms == 2 else "en"
        return None
    if n_en != n_ms:
        return "en" if n_en > n_ms else "ms"
    guess = _lingua_latin(text)
    if guess is None:
        return None
    code, confidence = guess
    needed_words = MIN_LATIN_WORDS if n_en else LINGUA_MIN_WORDS  # a tie with markers is already a sentence
    if len(words) >= needed_words and confidence >= LINGUA_MIN_CONFIDENCE:
        return code
    return None


def requested_language(text: Optional[str]) -> Optional[str]:
    """A language named in the message ("请说华语" → zh, "tukar ke bahasa Inggeris" → en), or None.

    When several are named, the last one not preceded by a negation wins ("not English, Tamil please").
    """
    if not text:
        return None
    lowered = text.lower()[:2000]
    found = []  # (position, code)
    for code, names in LANGUAGE_NAMES.items():
        for name in names:
            if name.isascii():
                pattern = re.compile(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])")
            else:
                pattern = re.compile(re.escape(name))
            for m in pattern.finditer(lowered):
                before = lowered[max(0, m.start() - 12): m.start()]
                if any(before.endswith(neg) or neg in before for neg in _NEGATIONS):
                    continue
                found.append((m.start(), code))
    return max(found)[1] if found else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds a top-level "language" to the parse result and the entities that drive the `language` slot.

    - `language` (top-level output): en|zh|ms|ta or null, see `detect_language`.
    - entity `detected_language`: the same value, only when not null (the slot follows it).
    - entity `language`: a language the user names ("speak Tamil"); the domain maps it to the slot only
      on the change_language intent.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["lingua"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        _Lingua.get()  # load lingua's models at start-up, not on the first message
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = detect_language(text)
            message.set("language", language, add_to_output=True)
            entities = list(message.get(ENTITIES) or [])
            if language:
                entities.append(_entity(DETECTED_ENTITY, language))
            requested = requested_language(text)
            if requested and not (text or "").startswith("/"):
                entities.append(_entity(REQUESTED_ENTITY, requested))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


def _always_return_language_key() -> None:
    """Make `/model/parse` return `"language": null` rather than omit the key.

    Rasa drops None-valued output properties (`Message.as_dict`), but our contract says the key is
    always there. Rasa 3.6 is the last open-source release, so wrapping this one internal method is
    stable; tests/e2e checks the contract against a real server.
    """
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._parse_message_with_graph
    if getattr(original, "_moments_language_key", False):
        return

    def parse_with_language(self, message, tracker, only_output_properties=True):  # type: ignore[no-untyped-def]
        parse_data = original(self, message, tracker, only_output_properties)
        parse_data.setdefault("language", None)
        return parse_data

    parse_with_language._moments_language_key = True  # type: ignore[attr-defined]
    MessageProcessor._parse_message_with_graph = parse_with_language  # type: ignore[assignment]


_always_return_language_key()


def _entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "extractor": EXTRACTOR, "confidence_entity": 1.0}
