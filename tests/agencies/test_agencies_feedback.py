"""Feedback (FB-…) against the real server: about a centre or a service, any language kept as written, personal
data masked at rest and never logged, only your own feedback readable, retries counted once."""
from __future__ import annotations

from agencies_testkit import HO, LIM, problem

CENTRE = "little-sprouts-ang-mo-kio-345"


def test_feedback_on_a_centre_in_chinese_keeps_the_words_and_masks_personal_data(server):
    lim = server.login(LIM)
    text = "老师很有耐心，环境干净。我的IC是S9210102I，电话 9123 4567，谢谢！"
    r = lim.post("/feedback/v1/feedback", {"about": "centre", "centre_id": CENTRE, "rating": 5, "text": text,
                                           "language": "zh"})
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["reference"].startswith("FB-") and fb["centre"]["id"] == CENTRE and fb["about"] == "centre"
    assert fb["masked"] is True and "S9210102I" not in fb["text"] and "9123 4567" not in fb["text"]
    assert fb["text"].startswith("老师很有耐心，环境干净。") and fb["text"].endswith("谢谢！")
    assert "S****102I" in fb["text"] and "****4567" in fb["text"]
    assert lim.get(f"/feedback/v1/feedback/{fb['reference'].lower()}").json() == fb
    assert fb["reference"] in [f["reference"] for f in lim.get("/feedback/v1/feedback").json()]
    log = server.log_text()
    assert "老师很有耐心" not in log and "S9210102I" not in log and fb["reference"] in log
    rating = server.get(f"/ecda/v1/centres/{CENTRE}").json()["rating"]
    assert rating["count"] >= 1 and 1 <= rating["average"] <= 5


def test_feedback_on_a_service_in_tamil_and_malay(server):
    lim = server.login(LIM)
    ta = lim.post("/feedback/v1/feedback", {"about": "service", "service": "preschools", "rating": 4,
                                            "text": "மிகவும் உதவியாக இருந்தது", "language": "ta"}).json()
    assert ta["text"] == "மிகவும் உதவியாக இருந்தது" and ta["masked"] is False and ta["centre"] is None
    ms = lim.post("/feedback/v1/feedback", {"about": "service", "service": "moments", "rating": 3}).json()
    assert ms["text"] is None and ms["service"] == "moments" and ms["rating"] == 3
    blank = lim.post("/feedback/v1/feedback", {"about": "service", "service": "other", "rating": 2, "text": "   "})
    assert blank.status_code == 201 and blank.json()["text"] is None


def test_bad_feedback_is_refused_clearly(server):
    lim = server.login(LIM)
    post = lambda body: lim.post("/feedback/v1/feedback", body)  # noqa: E731
    problem(post({"about": "centre", "rating": 4}), 422, "validation_failed")
    problem(post({"about": "service", "service": "moments", "centre_id": CENTRE, "rating": 4}), 422,
            "validation_failed")
    problem(post({"about": "service", "service": "moments", "rating": 6}), 422, "validation_failed")
    problem(post({"about": "service", "service": "moments", "rating": 0}), 422, "validation_failed")
    problem(post({"about": "service", "service": "parking", "rating": 3}), 422, "validation_failed")
    problem(post({"about": "centre", "centre_id": "nowhere", "rating": 3}), 404, "centre_not_found")
    problem(post({"about": "service", "service": "moments", "rating": 3, "text": "x" * 2001}), 422,
            "validation_failed")


def test_only_your_own_feedback_and_a_retry_counts_once(server):
    lim = server.login(LIM)
    body = {"about": "centre", "centre_id": CENTRE, "rating": 4, "text": "good"}
    first = lim.post("/feedback/v1/feedback", body, key="fb-retry-1")
    retry = lim.post("/feedback/v1/feedback", body, key="fb-retry-1")
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    ref = first.json()["reference"]
    assert [f["reference"] for f in lim.get("/feedback/v1/feedback").json()].count(ref) == 1
    problem(server.login(HO).get(f"/feedback/v1/feedback/{ref}"), 404, "feedback_not_found")
    assert ref not in [f["reference"] for f in server.login(HO).get("/feedback/v1/feedback").json()]
    problem(server.login(LIM, scope=["ecda.preschools"]).post("/feedback/v1/feedback", body), 403, "consent_missing")
    problem(server.get("/feedback/v1/feedback"), 401, "token_missing")
