"""ConceptFeaturizer: the concept lexicon matched per script, and the features it gives Rasa."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from moments.nlu.concepts import (
    LEXICON_FILE, ConceptFeaturizer, ConceptMatcher, default_matcher, lexicon_hash, load_lexicon, tamil_stem,
)
from moments.nlu.tokenizer import tokenize_text

MATCHER = default_matcher()


def concepts(text):
    return MATCHER.concept_names(text)


@pytest.mark.parametrize("text, expected", [
    # English, with inflections and one typo on a long word
    ("I want to reschedule my appointment", {"reschedule", "appointment"}),
    ("show my appointments", {"appointment", "list"}),
    ("need to cancle my apointment", {"cancel", "appointment"}),
    ("registrations", {"registration"}),
    # Malay, formal and everyday
    ("nak tukar tarikh temujanji", {"reschedule", "appointment"}),
    ("menjadualkan semula janji temu", {"reschedule", "appointment"}),
    ("bila vaksinasi anak saya", {"vaccination", "birth"}),
    ("assalamualaikum", {"greeting"}),
    # Chinese by substring, whatever jieba makes of it
    ("我想改期预约", {"reschedule", "appointment"}),
    ("孩子注册出生", {"registration", "birth"}),
    ("我要找客服", {"person"}),
    # Tamil script by stem prefix: the accusative சந்திப்பை of சந்திப்பு, the dative பதிவுக்கு of பதிவு
    ("சந்திப்பை ரத்து செய்யுங்க", {"appointment", "cancel"}),
    ("பதிவுக்கு எத்தனை நாள் இருக்கு", {"registration", "time"}),
    ("அதிகாரியிடம் பேசணும்", {"person"}),
    # romanised Tamil, with its suffixes glued on
    ("appointment-u cancel pannunga", {"appointment", "cancel"}),
    ("appointmentukku vera naal venum", {"appointment", "reschedule", "time"}),
    ("thaduppoosi eppo", {"vaccination", "time"}),
    ("officer-kitta pesanum", {"person"}),
])
def test_concepts_found_in_each_script(text, expected):
    assert expected <= concepts(text), (text, concepts(text))


@pytest.mark.parametrize("text, absent", [
    ("now", "no"),                 # "no" matches only itself, not words it begins
    ("note this", "no"),
    ("i am at home", "time"),      # "am" is not a time word
    ("tjx", "appointment"),        # "tj" (temujanji) is a short entry: exact only, never a longer word
    ("cat", "thanks"),
    ("pay", "stop"),
    ("பையன் பிறந்தான்", "goodbye"),  # பை ("bye") is too short to be a stem: பையன் (boy) is not a goodbye
    ("我要预约", "yes"),            # 要 alone is not "yes"
])
def test_no_false_match_on_short_words(text, absent):
    assert absent not in concepts(text), (text, concepts(text))


def test_a_typo_needs_a_long_entry():
    m = ConceptMatcher(["c"], {"c": {"en": ["stop", "cancel"]}})
    assert m.word_concepts("cancle") == {0}      # swap of neighbours in a 6-letter entry
    assert m.word_concepts("cancelled") == {0}   # prefix
    assert m.word_concepts("canecl") == {0}
    assert m.word_concepts("stpo") == set()      # 4 letters: exact or prefix only
    assert m.word_concepts("stopped") == {0}
    assert m.word_concepts("cxnxel") == set()    # two typos


def test_tamil_stem_drops_only_a_final_vowel_sign():
    assert tamil_stem("பதிவு") == "பதிவ"
    assert tamil_stem("சந்திப்பு") == "சந்திப்ப"
    assert tamil_stem("நேரம்") == "நேரம்"      # ends in a virama: kept


def test_every_concept_has_all_four_languages_and_string_entries():
    lexicon = load_lexicon()
    assert len(lexicon) >= 20
    for concept, by_lang in lexicon.items():
        for lang in ("en", "zh", "ms", "ta"):
            assert by_lang[lang], (concept, lang)
            assert all(isinstance(e, str) and e.strip() for e in by_lang[lang]), (concept, lang)


def test_unquoted_yaml_booleans_are_refused(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("yesno:\n  en: [yes, no]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="quote"):
        load_lexicon(path)


def _message(text):
    message = Message({TEXT: text})
    message.set(TOKENS_NAMES[TEXT], tokenize_text(text))
    return message


def test_featurizer_adds_one_sentence_and_token_feature_per_concept_and_survives_persistence(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("concepts")
    context = ExecutionContext(node_name="concepts", graph_schema=None)
    config = {**ConceptFeaturizer.get_default_config()}
    featurizer = ConceptFeaturizer.create(config, storage, resource, context)
    featurizer.train(TrainingData([]))
    loaded = ConceptFeaturizer.load(config, storage, resource, context)
    names = loaded.matcher.concepts

    message = _message("appointment-u cancel pannunga")
    loaded.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sentence.features.shape == (1, len(names))
    on = {names[i] for i in np.nonzero(sentence.features.toarray()[0])[0]}
    assert {"appointment", "cancel"} <= on
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert sequence.features.shape == (len(tokens), len(names))
    first = {names[i] for i in np.nonzero(sequence.features.toarray()[0])[0]}
    assert first == {"appointment"}  # the token "appointment" carries only its own concept

    nothing = _message("zzz qqq")
    loaded.process([nothing])
    _, sentence = nothing.get_sparse_features(TEXT)
    assert sentence.features.nnz == 0


def test_lexicon_edits_change_the_training_fingerprint(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text('"yes":\n  en: ["yes"]\n', encoding="utf-8")
    before = ConceptFeaturizer.fingerprint_addon({"lexicon": str(path)})
    path.write_text('"yes":\n  en: ["yes", ok]\n', encoding="utf-8")
    assert ConceptFeaturizer.fingerprint_addon({"lexicon": str(path)}) != before
    assert ConceptFeaturizer.fingerprint_addon({}) == lexicon_hash(LEXICON_FILE)


def test_the_pipeline_features_concepts_after_the_tokenizer_and_before_diet():
    import yaml

    from moments.evaluation.heldout import ROOT

    names = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]]
    concepts = names.index("moments.nlu.concepts.ConceptFeaturizer")
    assert names.index("moments.nlu.tokenizer.MomentsTokenizer") < concepts < names.index("DIETClassifier")
