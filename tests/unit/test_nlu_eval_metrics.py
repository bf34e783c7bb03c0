"""The metrics `make eval` reports beyond accuracy, on small hand-made results (no model)."""
import datetime as dt

import pytest

from moments.evaluation import blind, metrics
from moments.evaluation.__main__ import both_sets_table, report, reveal
from moments.evaluation.heldout import LanguageResult


def result(lang, rows):
    """rows: (text, gold, top intent, confidence, detected language)."""
    r = LanguageResult(lang)
    for text, gold, top, confidence, detected in rows:
        body = {"intent": {"name": top if confidence >= 0.45 else "nlu_fallback", "confidence": confidence},
                "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                                   {"name": top, "confidence": confidence},
                                   {"name": "other", "confidence": round(1 - confidence, 3)}],
                "language": detected}
        r.add_parse(text, gold, body, 5.0)
    return r


EN = result("en", [
    ("I want to book an appointment", "book_appointment", "book_appointment", 0.95, "en"),
    ("cancel it please now", "cancel_appointment", "goodbye", 0.90, "en"),        # confident error
    ("when is the jab", "check_appointments", "ask_vaccination_schedule", 0.55, "en"),  # unsure error
    ("ok", "affirm", "affirm", 0.70, None),                                        # too short to judge
    ("thanks a lot lah", "thank", "thank", 0.85, "ms"),                            # wrong language
])


def test_the_classifiers_own_top_intent_is_used_not_nlu_fallback():
    r = result("en", [("hmm what", "help", "help", 0.40, "en")])
    assert r.predicted == ["nlu_fallback"]
    assert metrics.top_intent(r, 0) == ("help", 0.40)


def test_confident_errors_count_only_wrong_answers_at_or_above_0_8():
    assert metrics.confident_errors(EN) == (1, 5)
    assert metrics.confident_error_rate(EN) == pytest.approx(0.2)
    assert metrics.confident_errors(EN, threshold=0.5) == (2, 5)
    assert metrics.confident_errors(EN, threshold=0.91) == (0, 5)


def test_confident_errors_pool_over_languages():
    zh = result("zh", [("我要预约", "book_appointment", "book_appointment", 0.99, "zh")])
    assert metrics.confident_errors([EN, zh]) == (1, 6)


@pytest.mark.parametrize("text, expected", [
    ("ok", False), ("thank you", False), ("Tan Wei Ming", True), ("好", True), ("சரி", True),
    ("nak apply baby bonus", True), ("1 2 3", False), ("我要register", True),
])
def test_judgeable_messages_are_three_latin_words_or_any_han_or_tamil(text, expected):
    assert metrics.judgeable(text) is expected


def test_language_id_ignores_messages_too_short_to_judge():
    # judgeable: rows 1, 2, 3, 5; right: 1, 2, 3 ("ok" is not counted; "thanks a lot lah" went to ms)
    assert metrics.language_id_judgeable(EN) == (3, 4)
    assert metrics.language_id_judgeable_accuracy(EN) == pytest.approx(0.75)


def test_calibration_point_answers_at_or_above_the_threshold():
    p = metrics.calibration_point(EN, 0.6)
    assert p.n == 5
    assert p.answered == pytest.approx(4 / 5)          # 0.55 falls back
    assert p.accuracy_answered == pytest.approx(3 / 4)  # the 0.90 goodbye is wrong
    assert p.confident_error_rate == pytest.approx(1 / 5)
    assert p.fallback == pytest.approx(1 / 5)


def test_calibration_curve_is_monotone_in_answered_share():
    curve = metrics.calibration_curve(EN)
    assert [p.threshold for p in curve] == list(metrics.THRESHOLDS)
    answered = [p.answered for p in curve]
    assert answered == sorted(answered, reverse=True)
    assert curve[0].answered == 1.0 and curve[-1].answered == pytest.approx(2 / 5)


def test_nothing_answered_is_not_a_division_by_zero():
    r = result("ta", [("வணக்கம்", "greet", "greet", 0.2, "ta")])
    p = metrics.calibration_point(r, 0.9)
    assert (p.answered, p.accuracy_answered, p.confident_error_rate) == (0.0, 1.0, 0.0)


def test_threshold_is_the_lowest_that_keeps_every_language_under_the_error_target():
    ms = result("ms", [(f"mesej {i}", "help", "help", 0.95, "ms") for i in range(99)]
                + [("salah satu", "help", "stop", 0.65, "ms")])  # 1 % wrong up to 0.6
    ta = result("ta", [(f"செய்தி {i}", "help", "help", 0.95, "ta") for i in range(98)]
                + [("தவறு ஒன்று", "help", "stop", 0.45, "ta"), ("தவறு இரண்டு", "help", "stop", 0.55, "ta")])
    curves = [metrics.calibration_curve(ms), metrics.calibration_curve(ta)]
    # ta: 2 % wrong at 0.3/0.4, 1 % at 0.5, 0 % from 0.6; ms: 1 % up to 0.6 -> 0.5 is the lowest within 1 %
    threshold, why = metrics.choose_threshold(curves)
    assert threshold == 0.5
    assert "worst 1.0%" in why
    threshold, why = metrics.choose_threshold(curves, max_error=0.0)
    assert threshold == 0.7 and "worst 0.0%" in why


def test_threshold_when_no_threshold_meets_the_target_is_the_least_bad():
    r = result("en", [("always wrong", "help", "stop", 0.99, "en"), ("right", "help", "help", 0.5, "en")])
    threshold, why = metrics.choose_threshold([metrics.calibration_curve(r)])
    assert threshold == 0.9  # 50 % wrong at every threshold from 0.6 up: the highest of the tie
    assert why.startswith("no threshold")


def test_both_sets_table_shows_the_gap_and_a_dash_for_a_missing_blind_language():
    fresh = {"en": result("en", [("I want to book an appointment", "book_appointment", "book_appointment", 0.9, "en"),
                                 ("book one slot please", "book_appointment", "cancel_appointment", 0.9, "en")])}
    zh = result("zh", [("我要预约", "book_appointment", "book_appointment", 0.99, "zh")])
    table = both_sets_table({"en": EN, "zh": zh}, fresh)
    en_row = next(line for line in table.splitlines() if line.startswith("| en "))
    assert "| 0.600 | 0.500 | +10.0 |" in en_row
    zh_row = next(line for line in table.splitlines() if line.startswith("| zh "))
    assert "| 1 / – |" in zh_row


def test_report_never_contains_a_blind_miss(tmp_path, monkeypatch):
    monkeypatch.setattr(blind, "FRESH_DIR", tmp_path)
    secret = "a blind message nobody may read"
    fresh = {"en": result("en", [(secret, "help", "goodbye", 0.95, "en")])}
    text = report({"en": EN}, fresh, None, None, "test model", "Blind set: 1 message")
    assert secret not in text
    assert "cancel it please now" in text  # held-out misses are listed as before
    assert "has been looked at" not in text


def test_reveal_prints_the_blind_misses_and_spends_the_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(blind, "FRESH_DIR", tmp_path)
    fresh = {"en": result("en", [("a blind miss", "help", "goodbye", 0.95, "en"),
                                 ("a blind hit", "help", "help", 0.95, "en")])}
    reveal(fresh)
    out = capsys.readouterr().out
    assert "'a blind miss': expected help, got goodbye" in out and "a blind hit" not in out
    assert (tmp_path / "SPENT").exists()
    text = report({"en": EN}, fresh, None, None, "test model", "Blind set: 2 messages")
    assert "has been looked at" in text  # every later report says so


def test_spent_marker_round_trip(tmp_path):
    assert blind.spent(tmp_path) is None and blind.spent_warning(tmp_path) is None
    blind.mark_spent(tmp_path, now=dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.timezone.utc))
    assert "2026-12-03 07:00 UTC" in blind.spent(tmp_path)
    assert "has been looked at" in blind.spent_warning(tmp_path)


def test_blind_set_absent_is_empty(tmp_path):
    assert blind.available(tmp_path / "nothing") == {}
