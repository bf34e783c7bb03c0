"""MOH National Childhood Immunisation Schedule (NCIS), from birth to 5 years, and a child's status against it.

birth       BCG, Hepatitis B dose 1
2 months    6-in-1 (DTaP-IPV-Hib-HepB) dose 1
4 months    5-in-1 (DTaP-IPV-Hib) dose 2, pneumococcal (PCV) dose 1
6 months    6-in-1 dose 3, PCV dose 2
12 months   MMR dose 1, varicella dose 1, PCV booster
15 months   MMRV
18 months   DTaP-IPV-Hib booster
6-59 months influenza every year (two doses four weeks apart the first time)

Vaccination against measles and diphtheria is compulsory by law; the doses that carry them are flagged.
A dose is `upcoming` before its due date, `due` from its due date, `overdue` a month after it, `completed` once
recorded; a yearly influenza dose that was not given in its season is `lapsed`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .clock import add_months

OVERDUE_AFTER_MONTHS = 1


@dataclass(frozen=True)
class Dose:
    code: str
    vaccine: str
    dose: str
    protects_against: str
    age_months: int
    compulsory: bool = False
    lapses_at_months: int | None = None  # seasonal doses are not caught up after this age


NCIS: tuple[Dose, ...] = (
    Dose("BCG", "BCG", "single dose", "tuberculosis", 0),
    Dose("HEPB-1", "Hepatitis B", "dose 1", "hepatitis B", 0),
    Dose("6IN1-1", "6-in-1 (DTaP-IPV-Hib-HepB)", "dose 1",
         "diphtheria, tetanus, pertussis, polio, Haemophilus influenzae type b, hepatitis B", 2, compulsory=True),
    Dose("5IN1-2", "5-in-1 (DTaP-IPV-Hib)", "dose 2",
         "diphtheria, tetanus, pertussis, polio, Haemophilus influenzae type b", 4, compulsory=True),
    Dose("PCV-1", "Pneumococcal conjugate (PCV)", "dose 1", "pneumococcal disease", 4),
    Dose("6IN1-3", "6-in-1 (DTaP-IPV-Hib-HepB)", "dose 3",
         "diphtheria, tetanus, pertussis, polio, Haemophilus influenzae type b, hepatitis B", 6, compulsory=True),
    Dose("PCV-2", "Pneumococcal conjugate (PCV)", "dose 2", "pneumococcal disease", 6),
    Dose("FLU-1", "Influenza", "first season, dose 1", "influenza", 6, lapses_at_months=12),
    Dose("FLU-2", "Influenza", "first season, dose 2", "influenza", 7, lapses_at_months=12),
    Dose("MMR-1", "MMR", "dose 1", "measles, mumps, rubella", 12, compulsory=True),
    Dose("VAR-1", "Varicella", "dose 1", "chickenpox", 12),
    Dose("PCV-B", "Pneumococcal conjugate (PCV)", "booster", "pneumococcal disease", 12),
    Dose("MMRV-1", "MMRV", "single dose", "measles, mumps, rubella, chickenpox", 15, compulsory=True),
    Dose("DTAP-B", "DTaP-IPV-Hib", "booster",
         "diphtheria, tetanus, pertussis, polio, Haemophilus influenzae type b", 18, compulsory=True),
    Dose("FLU-Y2", "Influenza", "yearly dose (2nd year)", "influenza", 18, lapses_at_months=30),
    Dose("FLU-Y3", "Influenza", "yearly dose (3rd year)", "influenza", 30, lapses_at_months=42),
    Dose("FLU-Y4", "Influenza", "yearly dose (4th year)", "influenza", 42, lapses_at_months=54),
    Dose("FLU-Y5", "Influenza", "yearly dose (5th year)", "influenza", 54, lapses_at_months=60),
)
BY_CODE = {d.code: d for d in NCIS}
AT_BIRTH = tuple(d for d in NCIS if d.age_months == 0)  # given in the birth hospital


@dataclass(frozen=True)
class DoseStatus:
    dose: Dose
    due_on: date
    status: str  # upcoming | due | overdue | completed | lapsed
    given_on: date | None = None


def status_for(born_on: date, given: dict[str, date], today: date) -> list[DoseStatus]:
    """Every NCIS dose with its due date and status for a child born on `born_on`, given doses `given`."""
    out = []
    for dose in NCIS:
        due_on = add_months(born_on, dose.age_months)
        if dose.code in given:
            status = "completed"
        elif today < due_on:
            status = "upcoming"
        elif dose.lapses_at_months is not None and today >= add_months(born_on, dose.lapses_at_months):
            status = "lapsed"
        elif today >= add_months(due_on, OVERDUE_AFTER_MONTHS):
            status = "overdue"
        else:
            status = "due"
        out.append(DoseStatus(dose, due_on, status, given.get(dose.code)))
    return out
