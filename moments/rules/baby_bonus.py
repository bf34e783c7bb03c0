"""MSF Baby Bonus rules: amounts are computed from the child's date of birth and birth order, never stored per person.

Two schemes are modelled (see docs/agencies.md):

born on/after 14 Feb 2023   cash gift $11,000 (1st, 2nd) / $13,000 (3rd+): $3,000/$4,000 at birth, $1,500/$2,000 at
                            6 and 12 months, $1,000 at 18 months, then $400 every 6 months from 2 years to 6½ years;
                            CDA First Step Grant $5,000; co-matching caps $4,000 / $7,000 / $9,000 (3rd-4th) /
                            $15,000 (5th+).
born before 14 Feb 2023     cash gift $8,000 (1st, 2nd) / $10,000 (3rd+) in five instalments over 18 months;
                            CDA First Step Grant $3,000; co-matching caps $3,000 / $6,000 / $9,000 / $15,000.

Eligibility: the child is a Singapore citizen (both benefits); the cash gift also needs lawfully married parents.
Parents apply by 31 December of the year the child turns 12.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from moments.rules.calendar import add_months

NEW_SCHEME_START = date(2023, 2, 14)
BANKS = ("DBS/POSB", "OCBC", "UOB")
# Account number lengths per bank (digits only): the agency refuses others, the bot asks again before submitting.
ACCOUNT_LENGTHS = {"DBS/POSB": (9, 10), "OCBC": (10, 12), "UOB": (10,)}


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    first_step_grant: int
    co_matching_caps: tuple[int, int, int, int, int]  # 1st, 2nd, 3rd, 4th, 5th and later
    schedule_1_2: tuple[tuple[int, int], ...]  # (age in months, amount)
    schedule_3_plus: tuple[tuple[int, int], ...]

    def schedule(self, birth_order: int) -> tuple[tuple[int, int], ...]:
        return self.schedule_1_2 if birth_order <= 2 else self.schedule_3_plus

    def cash_gift(self, birth_order: int) -> int:
        return sum(amount for _, amount in self.schedule(birth_order))

    def co_matching_cap(self, birth_order: int) -> int:
        return self.co_matching_caps[min(birth_order, 5) - 1]


_EVERY_SIX_MONTHS_TO_6_5 = tuple((months, 400) for months in range(24, 79, 6))  # 24, 30, ... 78 months: 10 x $400

SCHEME_2023 = Scheme(
    id="2023-02-14",
    name="Baby Bonus for children born on or after 14 Feb 2023",
    first_step_grant=5000,
    co_matching_caps=(4000, 7000, 9000, 9000, 15000),
    schedule_1_2=((0, 3000), (6, 1500), (12, 1500), (18, 1000)) + _EVERY_SIX_MONTHS_TO_6_5,
    schedule_3_plus=((0, 4000), (6, 2000), (12, 2000), (18, 1000)) + _EVERY_SIX_MONTHS_TO_6_5,
)
SCHEME_PREVIOUS = Scheme(
    id="previous",
    name="Baby Bonus for children born before 14 Feb 2023",
    first_step_grant=3000,
    co_matching_caps=(3000, 6000, 9000, 9000, 15000),
    schedule_1_2=((0, 2000), (6, 1500), (12, 1500), (15, 1500), (18, 1500)),
    schedule_3_plus=((0, 2000), (6, 2000), (12, 2000), (15, 2000), (18, 2000)),
)


def scheme_for(born_on: date) -> Scheme:
    return SCHEME_2023 if born_on >= NEW_SCHEME_START else SCHEME_PREVIOUS


def apply_by(born_on: date) -> date:
    """Parents can join the scheme until 31 December of the year the child turns 12."""
    return date(born_on.year + 12, 12, 31)


def birth_order(child_key: tuple, siblings: list[tuple]) -> int:
    """1 + the number of the mother's children born before this one. Keys are (born_at, id) so that twins get
    consecutive orders in a stable way."""
    return 1 + sum(1 for s in siblings if s < child_key)


@dataclass(frozen=True)
class Instalment:
    number: int
    age_months: int
    due_on: date
    amount: int


@dataclass
class Assessment:
    born_on: date
    birth_order: int
    scheme: Scheme
    cash_gift_eligible: bool
    cda_eligible: bool
    reasons: list[str] = field(default_factory=list)  # problem codes for what is not available
    apply_by: date | None = None

    @property
    def cash_gift_total(self) -> int:
        return self.scheme.cash_gift(self.birth_order) if self.cash_gift_eligible else 0

    @property
    def first_step_grant(self) -> int:
        return self.scheme.first_step_grant if self.cda_eligible else 0

    @property
    def co_matching_cap(self) -> int:
        return self.scheme.co_matching_cap(self.birth_order) if self.cda_eligible else 0

    @property
    def eligible(self) -> bool:
        return self.cash_gift_eligible or self.cda_eligible

    def schedule(self) -> list[Instalment]:
        if not self.cash_gift_eligible:
            return []
        return [
            Instalment(i, months, add_months(self.born_on, months), amount)
            for i, (months, amount) in enumerate(self.scheme.schedule(self.birth_order), start=1)
        ]


def assess(born_on: date, order: int, *, citizen: bool, parents_married: bool, today: date) -> Assessment:
    """What the child can get. `reasons` lists the problem codes of what is not available and why."""
    if order < 1:
        raise ValueError("birth order starts at 1")
    reasons: list[str] = []
    if not citizen:
        reasons.append("child_not_citizen")
    if today > apply_by(born_on):
        reasons.append("application_window_closed")
    cda = not reasons
    cash = cda and parents_married
    if cda and not parents_married:
        reasons.append("parents_not_married")
    return Assessment(born_on, order, scheme_for(born_on), cash, cda, reasons, apply_by(born_on))
