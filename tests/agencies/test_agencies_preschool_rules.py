"""ECDA rules without a server: fee caps, the basic subsidy, the level by age, and the seeded centres keeping to them."""
from __future__ import annotations

from datetime import date

import pytest

from moments.agencies import geo
from moments.agencies.preschool_fees import (
    fee_after_subsidy,
    fee_cap,
    level_for,
    months_between,
    programme_fee,
    service_for,
)
from moments.agencies.preschool_seed import HOMES, centres


@pytest.mark.parametrize("monthly,service,programme,citizen,working,subsidy,after", [
    (640, "childcare", "full_day", True, True, 300, 340),       # anchor at its cap, working mother
    (680, "childcare", "full_day", True, False, 150, 530),      # partner at its cap, mother not working
    (1140, "infant_care", "full_day", True, True, 600, 540),
    (1140, "infant_care", "full_day", True, False, 150, 990),
    (380, "childcare", "half_day", True, True, 150, 230),       # half day: half the subsidy
    (160, "kindergarten", "half_day", True, True, 0, 160),      # no basic subsidy for kindergarten
    (1500, "childcare", "full_day", False, True, 0, 1500),      # not a citizen: no basic subsidy
    (200, "infant_care", "full_day", True, True, 200, 0),       # never below zero
])
def test_fee_after_basic_subsidy(monthly, service, programme, citizen, working, subsidy, after):
    fee = fee_after_subsidy(monthly, service, programme, citizen=citizen, working_mother=working)
    assert (fee.monthly, fee.subsidy, fee.after_subsidy) == (monthly, subsidy, after)


def test_caps_apply_to_government_supported_operators_only():
    assert fee_cap("anchor", "childcare") == 640 and fee_cap("partner", "childcare") == 680
    assert fee_cap("moe", "kindergarten") == 160
    assert fee_cap("private", "childcare") is None and fee_cap("private", "infant_care") is None
    assert programme_fee(640, "childcare", "half_day") == 380 and programme_fee(640, "childcare", "flexi") == 640
    assert programme_fee(160, "kindergarten", "half_day") == 160


@pytest.mark.parametrize("born,start,level", [
    (date(2026, 11, 10), date(2027, 1, 1), None),          # 1 month: too young even for infant care
    (date(2026, 10, 1), date(2026, 12, 1), "infant"),      # exactly 2 months
    (date(2025, 6, 2), date(2026, 12, 1), "infant"),       # 17 months
    (date(2025, 6, 1), date(2026, 12, 1), "playgroup"),    # 18 months
    (date(2024, 3, 5), date(2027, 1, 1), "n1"),            # turns 3 in 2027
    (date(2023, 2, 14), date(2027, 1, 1), "n2"),
    (date(2022, 9, 15), date(2027, 1, 1), "k1"),
    (date(2021, 11, 30), date(2027, 1, 1), "k2"),
    (date(2020, 5, 1), date(2027, 1, 1), None),            # primary school age
])
def test_level_by_age_on_the_start_month(born, start, level):
    assert level_for(born, start) == level


def test_months_of_age_are_never_rounded_up():
    assert months_between(date(2026, 1, 31), date(2026, 3, 1)) == 1
    assert months_between(date(2026, 1, 1), date(2026, 3, 1)) == 2


def test_moe_kindergartens_take_k1_and_k2_only():
    assert service_for("k1", ["kindergarten"], "moe") == "kindergarten"
    assert service_for("n1", ["kindergarten"], "moe") is None
    assert service_for("n1", ["kindergarten"], "private") == "kindergarten"
    assert service_for("n1", ["childcare", "kindergarten"], "anchor") == "childcare"
    assert service_for("infant", ["childcare"], "partner") is None


def test_sixty_seeded_centres_keep_to_the_caps_in_real_districts():
    seeded = centres()
    assert len(seeded) == 60 and len({c.centre["id"] for c in seeded}) == 60
    kinds = {c.centre["operator_kind"] for c in seeded}
    assert kinds == {"anchor", "partner", "moe", "private"}
    for c in seeded:
        row = c.centre
        assert geo.locate(row["postal_code"]) is not None, row["postal_code"]
        assert geo.distance_km(geo.locate(row["postal_code"]), (row["latitude"], row["longitude"])) < 2.0
        for service, column in (("infant_care", "fee_infant_care_dollars"), ("childcare", "fee_childcare_dollars"),
                                ("kindergarten", "fee_kindergarten_dollars")):
            cap = fee_cap(row["operator_kind"], service)
            if row[column] is not None and cap is not None:
                assert row[column] <= cap, (row["id"], service, row[column], cap)
            assert (row[column] is not None) == (service in row["services"].split(","))
        assert set(row["second_languages"].split(",")) <= {"chinese", "malay", "tamil"}
        assert c.vacancies and all(v >= 0 and w >= 0 for v, w in c.vacancies.values())


def test_lim_hui_min_has_an_infant_care_place_with_chinese_near_home():
    home = geo.locate(HOMES["lim"][1])
    near = sorted(centres(), key=lambda c: geo.distance_km(home, (c.centre["latitude"], c.centre["longitude"])))
    first_infant = next(c for c in near if "infant_care" in c.centre["services"])
    assert "chinese" in first_infant.centre["second_languages"] and first_infant.vacancies["infant"][0] > 0
