"""Unit tests: Twilio's signature algorithm, form parsing and TwiML."""
import pytest
from twilio.request_validator import RequestValidator  # Twilio's own library (a Rasa dependency)

from moments.channels.twilio_protocol import (
    FormError,
    compute_signature,
    normalise_sender,
    parse_form,
    twiml,
    twiml_messages,
    valid_signature,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
          "From": "+12349013030", "To": "+18005551212"}


def test_signature_matches_twilios_reference_implementation():
    assert compute_signature(TOKEN, URL, list(PARAMS.items())) == RequestValidator(TOKEN).compute_signature(URL, PARAMS)


def test_signature_of_unicode_bodies_matches_twilio():
    params = {"From": "+6591234567", "Body": "我想问婴儿花红 / பேபி போனஸ் & more", "MessageSid": "SM1"}
    url = "http://127.0.0.1:5005/webhooks/sms/webhook"
    expected = RequestValidator("tok").compute_signature(url, params)
    assert compute_signature("tok", url, list(params.items())) == expected
    assert valid_signature("tok", url, list(params.items()), expected)


def test_signature_is_rejected_when_anything_changes():
    sig = compute_signature(TOKEN, URL, list(PARAMS.items()))
    assert valid_signature(TOKEN, URL, list(PARAMS.items()), sig)
    assert not valid_signature("other", URL, list(PARAMS.items()), sig)
    assert not valid_signature(TOKEN, URL + "&x=1", list(PARAMS.items()), sig)
    assert not valid_signature(TOKEN, URL, list({**PARAMS, "Digits": "1235"}.items()), sig)
    assert not valid_signature(TOKEN, URL, list(PARAMS.items()), None)
    assert not valid_signature(TOKEN, URL, list(PARAMS.items()), "")


def test_signature_tolerates_the_default_port_like_twilio_does():
    url = "https://bot.example.sg/webhooks/sms/webhook"
    sig = compute_signature(TOKEN, url, list(PARAMS.items()))
    assert valid_signature(TOKEN, "https://bot.example.sg:443/webhooks/sms/webhook", list(PARAMS.items()), sig)


def test_form_is_parsed_as_utf8():
    body = "From=%2B6591234567&Body=%E5%A9%B4%E5%84%BF+%E8%8A%B1%E7%BA%A2&Empty=".encode()
    assert parse_form(body) == [("From", "+6591234567"), ("Body", "婴儿 花红"), ("Empty", "")]


@pytest.mark.parametrize("body", [b"From=%2B6591234567&Body=%FF%FE", b"From=%2B6591234567&Body=\xff\xfe"])
def test_non_utf8_is_a_form_error(body):
    with pytest.raises(FormError):
        parse_form(body)


def test_twiml_has_one_message_per_sms_and_escapes_xml():
    xml = twiml(["a < b & c > d", "二 \"quoted\" 'x'", "bell\x07 gone"])
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert twiml_messages(xml) == ["a < b & c > d", "二 \"quoted\" 'x'", "bell gone"]
    assert twiml([]) == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.mark.parametrize("raw,phone,transport", [
    ("+6591234567", "+6591234567", "sms"),
    ("whatsapp:+6591234567", "+6591234567", "whatsapp"),
    ("91234567", "+6591234567", "sms"),
    ("+65 9123 4567", "+6591234567", "sms"),
    ("0044 7911 123456", "+447911123456", "sms"),
    ("+447911123456", "+447911123456", "sms"),
    ("hello", None, "sms"),
    ("+12", None, "sms"),
    ("1234", None, "sms"),
])
def test_sender_numbers_are_normalised_to_e164(raw, phone, transport):
    assert normalise_sender(raw) == (phone, transport)
