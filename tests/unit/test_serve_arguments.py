"""How moments.serve hands secrets to Rasa: a token that starts with "-" is still the token (1 in 64 generated
tokens did, and `rasa run --auth-token -…` then read it as an option), and generated secrets never start with "-"."""
from rasa.__main__ import create_argument_parser

from moments import secrets
from moments.serve import rasa_arguments


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_token():
    token = "-Kq3v8ZpYw0kT2mXr7LsN1bHc5dEf9gJ"
    argv = rasa_arguments(["--port", "5005"], env={"RASA_AUTH_TOKEN": token})
    args = create_argument_parser().parse_args(argv)
    assert args.auth_token == token
    assert args.interface == "127.0.0.1" and args.enable_api


def test_generated_secrets_never_start_with_a_dash(monkeypatch):
    values = iter(["-first", "-second", "third"])
    monkeypatch.setattr(secrets._random, "token_urlsafe", lambda n: next(values))
    assert secrets._generate("RASA_AUTH_TOKEN") == "third"
