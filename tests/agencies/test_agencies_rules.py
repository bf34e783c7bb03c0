"""The agencies' rules on their own: NRIC checksum, 42-day window, names, Baby Bonus amounts, immunisation."""
from __future__ import annotations

import logging
from datetime import date

import pytest

from moments.rules import baby_bonus as bb
from moments.agencies import geo
from moments.rules import birth as birth_rules, nric
from moments.agencies.immunisation import NCIS, status_for
from moments.agencies.logs import MaskingFormatter
from moments.agencies.seed import CLINICS, PEOPLE

VALID = ["S1234567D", "T1234567J", "F1234567N", "G1234567X", "M1234567K"]


@pytest.mark.parametrize("value", VALID)
def test_published_nric_vectors_are_valid(value):
    assert nric.is_valid(value)
    assert nric.is_valid(value.lower()) and nric.is_valid(f" {value[:5]} {value[5:]} ")


@pytest.mark.parametrize("value", VALID)
def test_every_other_check_letter_is_invalid(value):
    wrong = [value[:8] + letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letter != value[8]]
    assert not any(nric.is_valid(w) for w in wrong)


@pytest.mark.parametrize("value", ["", "S123456D", "S12345678D", "A1234567D", "S1234567", "S12345X7D", 1234567, None])
def test_malformed_nrics_are_invalid(value):
    assert not nric.is_valid(value)


def test_make_builds_valid_numbers_and_seeded_people_are_valid():
    assert nric.make("S", "1234567") == "S1234567D" and nric.make("M", "1234567") == "M1234567K"
    assert all(nric.is_valid(p.nric) for p in PEOPLE)
    assert len({p.nric for p in PEOPLE}) == len(PEOPLE)
    assert {p.nric[0] for p in PEOPLE} >= {"S", "T", "G", "M"}


def test_log_lines_mask_nrics_and_mobiles():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login %s from %s", ("S1234567D", "+6591234567"), None)
    line = MaskingFormatter("%(message)s").format(record)
    assert "S1234567D" not in line and "91234567" not in line
    assert "S****567D" in line


# --- birth registration ------------------------------------------------------------------------------------------

def test_42_day_window_includes_day_42_and_not_day_43():
    born = date(2026, 3, 1)
    assert birth_rules.registration_deadline(born) == date(2026, 4, 12)
    assert not birth_rules.is_late(born, date(2026, 3, 1))
    assert not birth_rules.is_late(born, date(2026, 4, 12))  # day 42
    assert birth_rules.is_late(born, date(2026, 4, 13))  # day 43


@pytest.mark.parametrize("name", ["Tan Kai Xuan", "Muhammad Aiman bin Abdullah", "Kavin s/o Raj", "Mary-Ann O'Neil",
                                  "Tan Ah Kow @ Tan Kow", "Jo"])
def test_english_names_that_are_allowed(name):
    assert birth_rules.clean_english_name(f"  {name}  ") == name


@pytest.mark.parametrize("name", ["", "X", "Tan 2nd", "陈凯轩", "José Tan", "-Tan", "Tan_Kai", "A" * 67, "@@"])
def test_english_names_that_are_refused(name):
    with pytest.raises(birth_rules.RuleError) as e:
        birth_rules.clean_english_name(name)
    assert e.value.code == "name_invalid"


@pytest.mark.parametrize("name,script", [("陈凯轩", "han"), ("கவின்", "tamil"), ("محمد", "jawi")])
def test_ethnic_names_by_script(name, script):
    assert birth_rules.clean_ethnic_name(name) == (name, script)


@pytest.mark.parametrize("name", ["Tan", "陈凯 Kai", "陈கவின்", "", "陈" * 31])
def test_ethnic_names_refused(name):
    with pytest.raises(birth_rules.RuleError) as e:
        birth_rules.clean_ethnic_name(name)
    assert e.value.code == "ethnic_name_invalid"


@pytest.mark.parametrize("mother,father,married,expected", [
    (True, False, False, "citizen"), (False, True, True, "citizen"), (False, True, False, "not_citizen"),
    (False, False, True, "not_citizen"),
])
def test_citizenship_by_birth(mother, father, married, expected):
    assert birth_rules.child_citizenship(mother, father, married) == expected


# --- Baby Bonus --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("born,order,cash,fsg,cap", [
    (date(2023, 2, 14), 1, 11000, 5000, 4000),
    (date(2024, 6, 1), 2, 11000, 5000, 7000),
    (date(2025, 1, 1), 3, 13000, 5000, 9000),
    (date(2025, 1, 1), 4, 13000, 5000, 9000),
    (date(2025, 1, 1), 5, 13000, 5000, 15000),
    (date(2023, 2, 13), 1, 8000, 3000, 3000),
    (date(2020, 5, 5), 2, 8000, 3000, 6000),
    (date(2019, 1, 1), 3, 10000, 3000, 9000),
    (date(2016, 1, 1), 6, 10000, 3000, 15000),
])
def test_baby_bonus_amounts_by_birth_order_and_date(born, order, cash, fsg, cap):
    a = bb.assess(born, order, citizen=True, parents_married=True, today=date(2026, 11, 1))
    assert (a.cash_gift_total, a.first_step_grant, a.co_matching_cap) == (cash, fsg, cap)
    assert sum(i.amount for i in a.schedule()) == cash


def test_current_scheme_schedule_runs_every_six_months_to_six_and_a_half():
    a = bb.assess(date(2025, 1, 31), 1, citizen=True, parents_married=True, today=date(2026, 1, 1))
    plan = [(i.age_months, i.amount) for i in a.schedule()]
    assert plan[:4] == [(0, 3000), (6, 1500), (12, 1500), (18, 1000)]
    assert plan[4:] == [(m, 400) for m in range(24, 79, 6)] and len(plan) == 14
    assert a.schedule()[1].due_on == date(2025, 7, 31) and a.schedule()[-1].due_on == date(2031, 7, 31)
    third = bb.assess(date(2025, 1, 31), 3, citizen=True, parents_married=True, today=date(2026, 1, 1))
    assert [i.amount for i in third.schedule()][:4] == [4000, 2000, 2000, 1000]


def test_previous_scheme_pays_five_instalments_within_18_months():
    a = bb.assess(date(2022, 9, 15), 2, citizen=True, parents_married=True, today=date(2026, 1, 1))
    assert a.scheme.id == "previous" and len(a.schedule()) == 5 and a.schedule()[-1].age_months == 18


def test_cash_gift_needs_married_parents_cda_does_not():
    a = bb.assess(date(2026, 1, 1), 1, citizen=True, parents_married=False, today=date(2026, 2, 1))
    assert not a.cash_gift_eligible and a.cda_eligible and a.reasons == ["parents_not_married"]
    assert a.cash_gift_total == 0 and a.first_step_grant == 5000 and a.schedule() == []


def test_non_citizen_child_gets_nothing_and_window_closes_at_end_of_year_12():
    a = bb.assess(date(2026, 1, 1), 1, citizen=False, parents_married=True, today=date(2026, 2, 1))
    assert not a.eligible and a.reasons == ["child_not_citizen"]
    assert bb.apply_by(date(2014, 3, 10)) == date(2026, 12, 31)
    late = bb.assess(date(2012, 3, 10), 1, citizen=True, parents_married=True, today=date(2025, 1, 1))
    assert not late.eligible and late.reasons == ["application_window_closed"]


def test_birth_order_counts_older_siblings_and_orders_twins_by_time():
    from datetime import datetime
    sibs = [(datetime(2020, 1, 1, 9), "a"), (datetime(2024, 1, 1, 9, 0), "twin1")]
    assert bb.birth_order((datetime(2024, 1, 1, 9, 5), "twin2"), sibs) == 3
    assert bb.birth_order((datetime(2019, 1, 1), "z"), sibs) == 1


# --- immunisation ------------------------------------------------------------------------------------------------

def test_schedule_follows_ncis_and_flags_measles_and_diphtheria():
    by_code = {d.code: d for d in NCIS}
    assert [by_code[c].age_months for c in ("BCG", "HEPB-1", "6IN1-1", "5IN1-2", "PCV-1", "6IN1-3", "PCV-2",
                                            "MMR-1", "VAR-1", "PCV-B", "MMRV-1", "DTAP-B")] == \
        [0, 0, 2, 4, 4, 6, 6, 12, 12, 12, 15, 18]
    compulsory = {d.code for d in NCIS if d.compulsory}
    assert {"6IN1-1", "5IN1-2", "6IN1-3", "MMR-1", "MMRV-1", "DTAP-B"} == compulsory


def test_dose_status_upcoming_due_overdue_completed_lapsed():
    born = date(2025, 1, 10)
    st = {s.dose.code: s.status for s in status_for(born, {"BCG": born}, today=date(2025, 3, 20))}
    assert st["BCG"] == "completed" and st["HEPB-1"] == "overdue" and st["6IN1-1"] == "due"
    assert st["MMR-1"] == "upcoming"
    later = {s.dose.code: s.status for s in status_for(born, {}, today=date(2026, 3, 1))}
    assert later["FLU-1"] == "lapsed" and later["MMR-1"] == "overdue"


# --- clinics -----------------------------------------------------------------------------------------------------

def test_every_clinic_has_four_names_and_its_postal_code_is_near_it():
    assert len(CLINICS) >= 6
    for cid, en, zh, ms, ta, address, postal, cluster, lat, lon in CLINICS:
        assert en.endswith("Polyclinic") and ms.startswith("Poliklinik") and zh.endswith("综合诊疗所") and ta
        assert postal in address
        assert geo.distance_km(geo.locate(postal), (lat, lon)) < 6, cid
    assert geo.locate("999999") is None and geo.locate("12345") is None
