"""A greeting, thanks or apology around a request never hides the request (issue 13): the tokens the classifier
reads at inference are the request's; the text, which the language detector and the forms read, stays whole."""
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from moments.nlu.social import request_span
from moments.nlu.tokenizer import MomentsTokenizer, tokenize_text


def request_words(text):
    tokens = [(t.text, t.start, t.end) for t in tokenize_text(text)]
    first, last = request_span(text, tokens)
    return [t for t, _, _ in tokens[first:last]]


@pytest.mark.parametrize("text, expected", [
    ("assalamualaikum, saya nak daftar kelahiran anak saya", "saya nak daftar kelahiran anak saya"),
    ("salam tuan, nak tanya pasal baby bonus", "nak tanya pasal baby bonus"),
    ("hi good morning, want to apply baby bonus pls", "want to apply baby bonus pls"),
    ("sorry, can i cancel my appointment", "can i cancel my appointment"),
    ("thank you! can check my application status?", "can check my application status ?"),
    ("book jab for my son pls, thanks!", "book jab for my son"),
    ("您好，我想注册宝宝的出生", "我 想 注册 宝宝 的 出生"),
    ("谢谢！我想预约打针", "我 想 预约 打针"),
    ("不好意思，我要找客服", "我要 找 客服"),
    ("வணக்கம், எனக்கு ஒரு அதிகாரியிடம் பேச வேண்டும்", "எனக்கு ஒரு அதிகாரியிடம் பேச வேண்டும்"),
    ("vanakkam anna, en kuzhandhai pirappu pathivu pannanum", "en kuzhandhai pirappu pathivu pannanum"),
    ("Thank you. I would like to apply for it.", "I would like to apply for it"),
])
def test_the_request_is_what_the_classifier_reads(text, expected):
    assert " ".join(request_words(text)) == expected


@pytest.mark.parametrize("text", [
    "hello", "hi there", "good morning", "assalamualaikum", "谢谢", "நன்றி", "thanks for your help", "ok thanks",
    "no thanks", "thanks bye", "hi can help me?", "morning slot pls", "Tan Wei Ming", "terima kasih banyak-banyak",
    "sorry name shld be Tan Wei Ming", "hi bot, ada orang tak",
    # what the thanks or apology is for is not a new request
    "thanks for booking my appointment", "谢谢你帮我登记", "terima kasih sebab tolong daftar anak saya",
    "பதிவு செய்ததற்கு நன்றி", "sorry for the late registration", "唔该帮我报出世",
])
def test_a_social_message_or_one_with_no_request_is_left_whole(text):
    assert request_words(text) == [t.text for t in tokenize_text(text)]


def test_only_messages_at_inference_are_stripped_and_their_text_is_kept():
    tokenizer = MomentsTokenizer(MomentsTokenizer.get_default_config())
    text = "assalamualaikum, saya nak daftar kelahiran"
    message = Message({TEXT: text})
    tokenizer.process([message])
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["saya", "nak", "daftar", "kelahiran"]
    assert message.get(TEXT) == text  # the language detector still sees the Malay greeting
    example = Message({TEXT: text, INTENT: "ask_birth_registration"})
    tokenizer.process_training_data(TrainingData([example]))
    assert [t.text for t in example.get(TOKENS_NAMES[TEXT])][0] == "assalamualaikum"
