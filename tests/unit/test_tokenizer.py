"""MomentsTokenizer: Han runs via jieba, Tamil and Latin via spaCy blank pipelines, offsets exact."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from moments.nlu.tokenizer import MomentsTokenizer, tokenize_text


def words(text):
    return [t.text for t in tokenize_text(text)]


def assert_offsets_point_into(text, tokens):
    for t in tokens:
        assert text[t.start:t.end].replace("\u202e", " ") == t.text or text[t.start:t.end] == t.text


def test_chinese_is_segmented_into_words_not_characters():
    assert words("婴儿花红有多少钱") == ["婴儿花红", "有", "多少", "钱"]


def test_singapore_terms_stay_whole():
    toks = words("我想预约综合诊疗所打六合一疫苗")
    for term in ("综合诊疗所", "六合一", "疫苗", "预约"):
        assert term in toks


def test_tamil_words_are_whole_tokens():
    assert words("என் குழந்தையின் பிறப்பை பதிவு செய்ய வேண்டும்") == [
        "என்", "குழந்தையின்", "பிறப்பை", "பதிவு", "செய்ய", "வேண்டும்"]


@pytest.mark.parametrize("text", ["我要register孩子的出生", "我要 register 孩子的出生"])
def test_mixed_chinese_english_has_no_whitespace_tokens(text):
    toks = tokenize_text(text)
    assert [t.text for t in toks] == ["我要", "register", "孩子", "的", "出生"]
    assert all(t.text.strip() == t.text and t.text for t in toks)
    assert_offsets_point_into(text, toks)


def test_mixed_tamil_english():
    text = "baby bonus apply பண்ணணும்"
    toks = tokenize_text(text)
    assert [t.text for t in toks] == ["baby", "bonus", "apply", "பண்ணணும்"]
    assert_offsets_point_into(text, toks)


def test_question_marks_kept_other_punctuation_dropped():
    assert words("How to register?!") == ["How", "to", "register", "?"]
    assert words("要带什么文件？") [-1] == "？"
    assert "，" not in words("你好，我想问")


def test_emoji_are_tokens():
    assert words("👍") == ["👍"]
    assert words("ok 😀 thanks") == ["ok", "😀", "thanks"]


def test_control_and_bidi_characters_split_and_vanish():
    text = "hello\u202eworld\x00again"
    toks = tokenize_text(text)
    assert [t.text for t in toks] == ["hello", "world", "again"]
    assert_offsets_point_into(text, toks)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_and_blank(text):
    assert tokenize_text(text) == []


def test_component_never_returns_no_tokens():
    """Rasa featurizers need at least one token, even for '' or '!!!'."""
    tok = MomentsTokenizer(MomentsTokenizer.get_default_config())
    for text in ["", "!!!", "   "]:
        tokens = tok.tokenize(Message(data={"text": text}), "text")
        assert len(tokens) == 1


def test_huge_message_is_tokenised_with_correct_offsets():
    text = "saya nak daftar 出生 " * 1000
    toks = tokenize_text(text)
    assert len(toks) == 4000
    assert_offsets_point_into(text, toks)
