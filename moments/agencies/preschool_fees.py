"""ECDA preschool rules in one place: fee caps of government-supported operators, the basic subsidy, and the
level a child joins by age. A centre stores only its own fee; the fee after subsidy is always computed here.

Sources (searched 8 Dec 2026; see docs/agencies.md "Preschools: the rules as modelled"):
- Full-day childcare fee caps from 1 Jan 2025: anchor operators (AOP) $640, partner operators (POP) $680 a month
  (sbr.com.sg, "ECDA to develop 40,000 new infant and childcare centres", 2024).
- Basic childcare subsidy: $300 a month when the mother works, $150 when she does not (theasianparent.com,
  "Child care subsidy for non-working mothers", quoting MSF, 2019).
- MOE kindergarten: $160 a month for Singapore Citizens (junyuanpri.moe.edu.sg/fees, 2024); anchor operators'
  kindergarten cap $160 (todayonline.com, "New criteria for Anchor Operator Scheme revealed").
ASSUMED (nothing authoritative found): infant care caps AOP $1,140 and POP $1,230; basic infant care subsidy $600
(working mother) / $150; half-day subsidies half of full-day; kindergartens get no basic subsidy (KiFAS is
means-tested, not modelled); the basic subsidy goes to Singapore Citizen children only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Optional

OperatorKind = Literal["anchor", "partner", "moe", "private"]
Service = Literal["infant_care", "childcare", "kindergarten"]
Programme = Literal["full_day", "half_day", "flexi"]
Level = Literal["infant", "playgroup", "n1", "n2", "k1", "k2"]

OPERATOR_KINDS: tuple[str, ...] = ("anchor", "partner", "moe", "private")
SERVICES: tuple[str, ...] = ("infant_care", "childcare", "kindergarten")
PROGRAMMES: tuple[str, ...] = ("full_day", "half_day", "flexi")
LEVELS: tuple[str, ...] = ("infant", "playgroup", "n1", "n2", "k1", "k2")
SECOND_LANGUAGES: tuple[str, ...] = ("chinese", "malay", "tamil")

# Which service teaches which levels (MOE kindergartens take K1 and K2 only: see SERVICE_LEVELS_MOE).
SERVICE_LEVELS: dict[str, tuple[str, ...]] = {
    "infant_care": ("infant",),
    "childcare": ("playgroup", "n1", "n2", "k1", "k2"),
    "kindergarten": ("n1", "n2", "k1", "k2"),
}
SERVICE_LEVELS_MOE = ("k1", "k2")

# Monthly fee caps in dollars for Singapore Citizen children, full day (kindergarten: its programme).
FEE_CAPS: dict[tuple[str, str], int] = {
    ("anchor", "childcare"): 640,
    ("partner", "childcare"): 680,
    ("anchor", "infant_care"): 1140,   # ASSUMED
    ("partner", "infant_care"): 1230,  # ASSUMED
    ("anchor", "kindergarten"): 160,
    ("moe", "kindergarten"): 160,
}

# Basic subsidy in dollars a month, full day: (service, mother works) -> amount.
BASIC_SUBSIDY: dict[tuple[str, bool], int] = {
    ("childcare", True): 300,
    ("childcare", False): 150,
    ("infant_care", True): 600,   # ASSUMED
    ("infant_care", False): 150,  # ASSUMED
}

INFANT_FROM_MONTHS = 2
CHILDCARE_FROM_MONTHS = 18


@dataclass(frozen=True)
class Fee:
    monthly: int            # the centre's fee, dollars
    subsidy: int            # basic subsidy applied, dollars
    after_subsidy: int      # what the parent pays, never below 0


def fee_cap(operator_kind: str, service: str) -> Optional[int]:
    """The monthly cap a government-supported operator must keep to, or None (private centres have none)."""
    return FEE_CAPS.get((operator_kind, service))


def basic_subsidy(service: str, programme: str, *, citizen: bool = True, working_mother: bool = True) -> int:
    """Basic subsidy for a Singapore Citizen child; half of it for a half-day programme; none for kindergarten."""
    if not citizen:
        return 0
    full = BASIC_SUBSIDY.get((service, working_mother), 0)
    return full // 2 if programme == "half_day" else full


def fee_after_subsidy(monthly: int, service: str, programme: str, *, citizen: bool = True,
                      working_mother: bool = True) -> Fee:
    subsidy = min(monthly, basic_subsidy(service, programme, citizen=citizen, working_mother=working_mother))
    return Fee(monthly=monthly, subsidy=subsidy, after_subsidy=monthly - subsidy)


def months_between(born: date, on: date) -> int:
    """Whole months of age on `on` (a child born 31 Jan is 1 month old on 29 Feb / 1 Mar, never early)."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def level_for(born: date, start: date) -> Optional[str]:
    """The level a child born on `born` joins on `start`, or None when too young (under 2 months) or of primary
    school age. Infant care to 18 months; then levels go by the calendar year the child turns 2 (playgroup),
    3 (N1), 4 (N2), 5 (K1) and 6 (K2), as Singapore preschools place them."""
    months = months_between(born, start)
    if months < INFANT_FROM_MONTHS:
        return None
    if months < CHILDCARE_FROM_MONTHS:
        return "infant"
    turns = start.year - born.year
    if turns <= 2:
        return "playgroup"
    return {3: "n1", 4: "n2", 5: "k1", 6: "k2"}.get(turns)


def levels_of(service: str, operator_kind: str) -> tuple[str, ...]:
    return SERVICE_LEVELS_MOE if (operator_kind, service) == ("moe", "kindergarten") else SERVICE_LEVELS[service]


def service_for(level: str, services: tuple[str, ...] | list[str], operator_kind: str = "private") -> Optional[str]:
    """Which of a centre's services takes a child of `level` (childcare before kindergarten), or None."""
    for service in SERVICES:
        if service in services and level in levels_of(service, operator_kind):
            return service
    return None


HALF_DAY_SHARE = 0.6  # ASSUMED: a half-day programme costs about 60% of the full-day fee


def programme_fee(full_day_fee: int, service: str, programme: str) -> int:
    """The monthly fee of `programme` from the centre's stored fee (full day; kindergarten: its own programme).
    Half day: HALF_DAY_SHARE of it, rounded to $10; flexi: the full-day fee."""
    if service == "kindergarten" or programme != "half_day":
        return full_day_fee
    return int(round(full_day_fee * HALF_DAY_SHARE / 10.0)) * 10


def default_programme(service: str, programmes: tuple[str, ...] | list[str]) -> Optional[str]:
    """What a parent gets when they do not say: full day where there is one (kindergarten: half day)."""
    order = ("half_day", "full_day", "flexi") if service == "kindergarten" else ("full_day", "flexi", "half_day")
    return next((p for p in order if p in programmes), None)
