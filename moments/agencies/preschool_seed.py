"""Seed data for ECDA preschools and MyInfo addresses: 60 fictional centres in real postal districts, and the home
addresses of the seeded families (so that "a preschool near my home" has an answer).

Deterministic: the same centres, fees and vacancies on every database. Names, operators and addresses are made up;
postal codes start with a real sector of the estate, and a centre sits within ~1.3 km of its district's centre
(geo.py), so distances rank sensibly. Fees of anchor, partner and MOE centres keep to preschool_fees.FEE_CAPS.
`ensure(sessions)` runs at every start and adds only what is missing, so databases seeded before preschools
existed get them too.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from . import geo
from .models import Address, Person, PreschoolCentre, PreschoolVacancy
from .preschool_fees import LEVELS, fee_cap, levels_of

# estate, postal sector, streets
ESTATES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Ang Mo Kio", "56", ("Ang Mo Kio Avenue 10", "Ang Mo Kio Avenue 3", "Ang Mo Kio Street 21")),
    ("Bishan", "57", ("Bishan Street 22", "Bishan Street 13")),
    ("Toa Payoh", "31", ("Toa Payoh Lorong 1", "Toa Payoh Lorong 7")),
    ("Tampines", "52", ("Tampines Street 81", "Tampines Avenue 5", "Tampines Street 45")),
    ("Pasir Ris", "51", ("Pasir Ris Drive 6", "Pasir Ris Street 71")),
    ("Bedok", "46", ("Bedok North Avenue 1", "Bedok Reservoir Road")),
    ("Punggol", "82", ("Punggol Field", "Edgefield Plains", "Sumang Walk")),
    ("Sengkang", "54", ("Compassvale Road", "Anchorvale Link", "Fernvale Lane")),
    ("Hougang", "53", ("Hougang Avenue 8", "Upper Serangoon Road")),
    ("Jurong West", "64", ("Jurong West Street 52", "Jurong West Street 91", "Boon Lay Drive")),
    ("Jurong East", "60", ("Jurong East Street 21", "Toh Guan Road")),
    ("Bukit Batok", "65", ("Bukit Batok West Avenue 6", "Bukit Batok Street 31")),
    ("Choa Chu Kang", "68", ("Choa Chu Kang Avenue 4", "Teck Whye Lane")),
    ("Bukit Panjang", "67", ("Petir Road", "Segar Road")),
    ("Woodlands", "73", ("Woodlands Avenue 6", "Woodlands Drive 14", "Marsiling Road")),
    ("Yishun", "76", ("Yishun Ring Road", "Yishun Avenue 11")),
    ("Sembawang", "75", ("Canberra Road", "Admiralty Drive")),
    ("Queenstown", "14", ("Commonwealth Drive", "Dawson Road")),
    ("Clementi", "12", ("Clementi Avenue 3", "West Coast Road")),
    ("Marine Parade", "44", ("Marine Parade Central", "Marine Terrace")),
    ("Geylang", "38", ("Aljunied Crescent", "Eunos Crescent")),
    ("Downtown", "01", ("Shenton Way", "Cecil Street")),
)

# brand, operator, operator kind, services, programmes
BRANDS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Little Sprouts Community Preschool", "Little Sprouts Foundation", "anchor",
     ("infant_care", "childcare"), ("full_day", "half_day", "flexi")),
    ("Kinder Meadow", "Kinder Meadow Pte Ltd", "partner", ("infant_care", "childcare"), ("full_day", "half_day")),
    ("MOE Kindergarten", "Ministry of Education", "moe", ("kindergarten",), ("half_day",)),
    ("Harbourlight Preschool", "Harbourlight Early Years", "anchor", ("childcare", "kindergarten"),
     ("full_day", "half_day")),
    ("Willow & Wren Montessori", "Willow & Wren Pte Ltd", "private", ("infant_care", "childcare"),
     ("full_day", "flexi")),
    ("Sunbeam Learners", "Sunbeam Education Pte Ltd", "partner", ("childcare",), ("full_day", "half_day", "flexi")),
    ("Cedar Grove Kindergarten", "Cedar Grove Schools", "private", ("kindergarten",), ("half_day",)),
    ("Tembusu Tots", "Tembusu Tots Co-operative", "partner", ("infant_care", "childcare"), ("full_day",)),
)

HOURS = {
    "full_day": "Mon-Fri 7:00-19:00, Sat 7:00-14:00",
    "moe": "Mon-Fri 8:00-11:00 or 12:00-15:00; KCare after-school care to 19:00",
    "kindergarten": "Mon-Fri 8:30-12:00 or 13:00-16:30",
}
ACCESSIBILITY = (
    "Ground floor, step-free entrance; accessible toilet",
    "Lift to level 2; pram parking at the lobby",
    "Step-free from the bus stop; sheltered drop-off point",
    "Void deck of an HDB block; accessible toilet at the community centre next door",
    "Inclusive Support Programme for children with mild developmental needs; step-free",
)


def _roll(*parts: object) -> int:
    """A stable pseudo-random number from its parts (the seed is the same on every database)."""
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


@dataclass(frozen=True)
class CentreSeed:
    centre: dict
    vacancies: dict[str, tuple[int, int]]  # level -> (vacancies, waitlist)


def _languages(kind: str, i: int) -> tuple[str, ...]:
    if kind in ("moe", "anchor"):
        return ("chinese", "malay", "tamil") if kind == "moe" or i % 3 else ("chinese", "malay")
    return (("chinese",), ("chinese", "malay"), ("chinese", "tamil"), ("malay", "tamil"))[_roll("lang", i) % 4]


def _fees(kind: str, services: tuple[str, ...], i: int) -> dict[str, int | None]:
    out: dict[str, int | None] = {"infant_care": None, "childcare": None, "kindergarten": None}
    for service in services:
        cap = fee_cap(kind, service)
        if cap is not None:
            step = {"infant_care": 30, "childcare": 20, "kindergarten": 5}[service]
            out[service] = cap if kind == "moe" else cap - step * (_roll("fee", i, service) % 4)
        else:
            low, high = {"infant_care": (1350, 2400), "childcare": (880, 1850), "kindergarten": (620, 1450)}[service]
            out[service] = low + (_roll("fee", i, service) % ((high - low) // 10)) * 10
    return out


def centres() -> list[CentreSeed]:
    """The 60 centres: 2 or 3 per estate, brands in rotation. The first is Lim Hui Min's nearest (see docs)."""
    out = []
    for i in range(60):
        estate, sector, streets = ESTATES[i % len(ESTATES)]
        brand, operator, kind, services, programmes = BRANDS[(i * 3 + i // len(ESTATES)) % len(BRANDS)]
        block = 100 + _roll("block", i) % 800
        street = streets[i // len(ESTATES) % len(streets)]
        postal = f"{sector}{block % 1000:04d}"
        lat, lon = geo.locate(postal) or (1.35, 103.82)
        jitter = _roll("geo", i)
        lat += ((jitter % 2400) - 1200) / 100_000
        lon += (((jitter // 2400) % 2400) - 1200) / 100_000
        short = "moe-kindergarten" if kind == "moe" else "-".join(brand.lower().replace("&", " ").split()[:2])
        slug = "-".join(f"{short} {estate} {block}".lower().split())
        name = f"{brand} @ {estate} {block}" if kind != "moe" else f"MOE Kindergarten @ {estate} Vista"
        fees = _fees(kind, services, i)
        hours = HOURS["moe"] if kind == "moe" else HOURS["kindergarten"] if services == ("kindergarten",) \
            else HOURS["full_day"]
        centre = dict(
            id=slug, name=name, operator=operator, operator_kind=kind, services=",".join(services),
            programmes=",".join(programmes), second_languages=",".join(_languages(kind, i)),
            fee_infant_care_dollars=fees["infant_care"], fee_childcare_dollars=fees["childcare"],
            fee_kindergarten_dollars=fees["kindergarten"],
            address=f"Blk {block} {street}, #01-{10 + _roll('unit', i) % 80:02d}, Singapore {postal}",
            postal_code=postal, latitude=round(lat, 5), longitude=round(lon, 5), opening_hours=hours,
            accessibility=ACCESSIBILITY[_roll("access", i) % len(ACCESSIBILITY)],
        )
        levels = sorted({lv for s in services for lv in levels_of(s, kind)}, key=LEVELS.index)
        vacancies = {}
        for level in levels:
            free = _roll("vacancy", i, level) % 7 - 2  # about a third of the levels are full
            free = max(free, 0)
            vacancies[level] = (free, 0 if free > 2 else _roll("wait", i, level) % 12 + (0 if free else 2))
        out.append(CentreSeed(centre, vacancies))
    # Lim Hui Min (Ang Mo Kio, 560406) must find an infant care centre with Chinese and a place near home.
    first = out[0]
    assert first.centre["postal_code"].startswith("56") and "chinese" in first.centre["second_languages"]
    first.vacancies["infant"] = (3, 0)
    lat, lon = geo.locate(first.centre["postal_code"]) or (0.0, 0.0)
    first.centre.update(latitude=round(lat + 0.0021, 5), longitude=round(lon - 0.0013, 5))  # ~300 m from her block
    return out


# person key (seed.PEOPLE) -> (address line, postal code); children live at their mother's (else father's)
HOMES: dict[str, tuple[str, str]] = {
    "lim": ("406 Ang Mo Kio Avenue 10, #08-1234", "560406"),
    "tan": ("406 Ang Mo Kio Avenue 10, #08-1234", "560406"),
    "aisyah": ("678 Woodlands Avenue 6, #05-21", "730678"),
    "faizal": ("678 Woodlands Avenue 6, #05-21", "730678"),
    "priya": ("512 Jurong West Street 52, #11-305", "640512"),
    "rajesh": ("512 Jurong West Street 52, #11-305", "640512"),
    "nurul": ("345 Tampines Street 33, #03-118", "520345"),
    "farah": ("112 Bedok North Road, #09-45", "460112"),
    "ahmad": ("112 Bedok North Road, #09-45", "460112"),
    "koh": ("233 Bishan Street 22, #14-02", "570233"),
    "ong": ("233 Bishan Street 22, #14-02", "570233"),
    "tay": ("210 Compassvale Road, #06-77", "540210"),
    "goh": ("210 Compassvale Road, #06-77", "540210"),
    "ho": ("88 Dawson Road, #20-10", "141088"),
}


def ensure(sessions: sessionmaker) -> int:
    """Add the centres (when there are none) and the seeded people's addresses (when missing). Returns rows added."""
    from .seed import PEOPLE, person_id

    added = 0
    with sessions.begin() as s:
        if not s.execute(select(func.count()).select_from(PreschoolCentre)).scalar():
            for seed_ in centres():
                s.add(PreschoolCentre(**seed_.centre))
                s.add_all(PreschoolVacancy(centre_id=seed_.centre["id"], level=lv, vacancies=v, waitlist=w)
                          for lv, (v, w) in seed_.vacancies.items())
                added += 1
            s.flush()
        keys = {p.key: person_id(p.nric) for p in PEOPLE}
        have = set(s.execute(select(Address.person_id)).scalars())
        for key, (line, postal) in HOMES.items():
            pid = keys[key]
            if pid not in have and s.get(Person, pid) is not None:
                s.add(Address(person_id=pid, line=line, postal_code=postal))
                added += 1
    return added
