"""Schema creation/migration and deterministic seed data.

Seeded on first start, relative to that day (`seeded_on` in agency_meta), so the scenarios in docs/agencies.md
hold: recent births are within 42 days, late ones beyond it. Children whose Baby Bonus scheme matters have fixed
dates (e.g. 13 and 14 Feb 2023). NRICs are made with the checksum from fictitious digits. Slots are topped up to
8 weeks ahead on every start.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from . import clock, preschool_seed
from moments.rules import nric as nric_rules
from .immunisation import NCIS
from .models import (
    Appointment,
    BabyBonusApplication,
    Base,
    Clinic,
    Hospital,
    ImmunisationRecord,
    LiveBirthNotification,
    Meta,
    Person,
    Slot,
)

log = logging.getLogger("moments.agencies.seed")

SCHEMA_VERSION = 1
SLOT_WEEKS = 8
NAMESPACE = uuid.UUID("6f1d6c1e-2b8a-4c41-9a57-3c1f0e3a9b21")

HOSPITALS = [
    ("KKH", "KK Women's and Children's Hospital"),
    ("NUH", "National University Hospital"),
    ("SGH", "Singapore General Hospital"),
    ("SKH", "Sengkang General Hospital"),
    ("KTPH", "Khoo Teck Puat Hospital"),
    ("NTFGH", "Ng Teng Fong General Hospital"),
    ("TMC", "Thomson Medical Centre"),
    ("MAH", "Mount Alvernia Hospital"),
    ("GEH", "Gleneagles Hospital"),
    ("MEH", "Mount Elizabeth Hospital"),
    ("PEH", "Parkway East Hospital"),
]

# id, en, zh, ms, ta, address, postal code, cluster, latitude, longitude
CLINICS = [
    ("ang-mo-kio", "Ang Mo Kio Polyclinic", "宏茂桥综合诊疗所", "Poliklinik Ang Mo Kio", "அங் மோ கியோ பலதுறை மருந்தகம்",
     "21 Ang Mo Kio Central 2, #01-10, Singapore 569666", "569666", "NHG Polyclinics", 1.3700, 103.8470),
    ("bukit-batok", "Bukit Batok Polyclinic", "武吉巴督综合诊疗所", "Poliklinik Bukit Batok", "புக்கிட் பாத்தோக் பலதுறை மருந்தகம்",
     "50 Bukit Batok West Avenue 3, Singapore 659164", "659164", "NHG Polyclinics", 1.3503, 103.7495),
    ("choa-chu-kang", "Choa Chu Kang Polyclinic", "蔡厝港综合诊疗所", "Poliklinik Choa Chu Kang", "சுவா சூ காங் பலதுறை மருந்தகம்",
     "2 Teck Whye Crescent, Singapore 688846", "688846", "NHG Polyclinics", 1.3800, 103.7530),
    ("jurong", "Jurong Polyclinic", "裕廊综合诊疗所", "Poliklinik Jurong", "ஜூரோங் பலதுறை மருந்தகம்",
     "190 Jurong East Avenue 1, Singapore 609788", "609788", "National University Polyclinics", 1.3497, 103.7303),
    ("punggol", "Punggol Polyclinic", "榜鹅综合诊疗所", "Poliklinik Punggol", "பொங்கோல் பலதுறை மருந்தகம்",
     "681 Punggol Drive, #04-01 Oasis Terraces, Singapore 820681", "820681", "SingHealth Polyclinics", 1.4025, 103.9130),
    ("queenstown", "Queenstown Polyclinic", "女皇镇综合诊疗所", "Poliklinik Queenstown", "குவீன்ஸ்டவுன் பலதுறை மருந்தகம்",
     "580 Stirling Road, Singapore 148958", "148958", "National University Polyclinics", 1.2985, 103.8015),
    ("tampines", "Tampines Polyclinic", "淡滨尼综合诊疗所", "Poliklinik Tampines", "தெம்பனிஸ் பலதுறை மருந்தகம்",
     "1 Tampines Street 41, Singapore 529203", "529203", "SingHealth Polyclinics", 1.3560, 103.9440),
    ("toa-payoh", "Toa Payoh Polyclinic", "大巴窑综合诊疗所", "Poliklinik Toa Payoh", "தோ பாயோ பலதுறை மருந்தகம்",
     "2003 Toa Payoh Lorong 8, Singapore 319260", "319260", "NHG Polyclinics", 1.3390, 103.8560),
]


@dataclass(frozen=True)
class Seed:
    key: str
    nric: str
    name: str
    sex: str
    born: date | int  # a date, or days before the seed day
    nationality: str = "SG"
    status: str = "citizen"
    marital: str = "single"
    spouse: str | None = None
    mobile: str | None = None
    mother: str | None = None
    father: str | None = None
    birth_time: str = "09:00"
    missing_doses: tuple[str, ...] = ()


def S(yy: int, serial: int) -> str:  # noqa: N802 - the NRIC series letter
    return nric_rules.make("S", f"{yy:02d}{serial:05d}")


def T(yy: int, serial: int) -> str:  # noqa: N802
    return nric_rules.make("T", f"{yy:02d}{serial:05d}")


PEOPLE: tuple[Seed, ...] = (
    # A: first baby, born 5 days ago (register, Baby Bonus 1st child, book a vaccination)
    Seed("tan", S(90, 10101), "Tan Wei Ming", "M", date(1990, 3, 14), marital="married", spouse="lim", mobile="+6591234501"),
    Seed("lim", S(92, 10102), "Lim Hui Min", "F", date(1992, 7, 2), marital="married", spouse="tan", mobile="+6591234567"),
    # B: second child born 12 days ago; the first (13 months) is overdue for his 12-month vaccines
    Seed("faizal", S(88, 10201), "Muhammad Faizal bin Rahman", "M", date(1988, 11, 23), marital="married", spouse="aisyah", mobile="+6591234502"),
    Seed("aisyah", S(91, 10202), "Nur Aisyah binte Ismail", "F", date(1991, 1, 9), marital="married", spouse="faizal", mobile="+6598765432"),
    Seed("irfan", T(25, 10203), "Muhammad Irfan bin Muhammad Faizal", "M", 400, mother="aisyah", father="faizal",
         birth_time="14:05", missing_doses=("MMR-1", "VAR-1", "PCV-B")),
    # C: third child born 20 days ago; older two born before 14 Feb 2023
    Seed("rajesh", S(85, 10301), "Rajesh s/o Kumar", "M", date(1985, 6, 30), marital="married", spouse="priya", mobile="+6591234503"),
    Seed("priya", S(87, 10302), "Priya d/o Suresh", "F", date(1987, 4, 18), marital="married", spouse="rajesh", mobile="+6591234504"),
    Seed("arjun", T(18, 10303), "Arjun s/o Rajesh", "M", date(2018, 5, 20), mother="priya", father="rajesh", birth_time="07:30"),
    Seed("kavya", T(22, 10304), "Kavya d/o Rajesh", "F", date(2022, 9, 15), mother="priya", father="rajesh",
         birth_time="16:45", missing_doses=("DTAP-B",)),
    # D: single mother, first child born 8 days ago (cash gift needs married parents; CDA does not)
    Seed("nurul", S(95, 10401), "Nurul Huda binte Osman", "F", date(1995, 2, 27), mobile="+6591234505"),
    # E: born 50 days ago, too late to register online
    Seed("chen", S(89, 10501), "Chen Jun Jie", "M", date(1989, 9, 5), marital="married", spouse="wong", mobile="+6591234506"),
    Seed("wong", S(90, 10502), "Wong Mei Ling", "F", date(1990, 12, 12), marital="married", spouse="chen", mobile="+6591234507"),
    # F: citizen father, foreign mother (G-series FIN)
    Seed("daniel", S(86, 10601), "Daniel de Souza", "M", date(1986, 8, 8), marital="married", spouse="maria", mobile="+6591234508"),
    Seed("maria", nric_rules.make("G", "5610602"), "Maria Santos", "F", date(1990, 5, 21), nationality="PH",
         status="foreigner", marital="married", spouse="daniel", mobile="+6581234509"),
    # G: two permanent residents: the child is not a citizen by birth, so no Baby Bonus
    Seed("zhang", S(91, 10701), "Zhang Wei", "M", date(1991, 10, 10), nationality="CN", status="permanent_resident",
         marital="married", spouse="liu", mobile="+6591234510"),
    Seed("liu", S(93, 10702), "Liu Yang", "F", date(1993, 3, 3), nationality="CN", status="permanent_resident",
         marital="married", spouse="zhang", mobile="+6591234511"),
    # H: fifth child born 30 days ago; the eldest is past the Baby Bonus application window
    Seed("ahmad", S(84, 10801), "Ahmad Firdaus bin Ismail", "M", date(1984, 1, 15), marital="married", spouse="farah", mobile="+6591234512"),
    Seed("farah", S(86, 10802), "Farah Nadia binte Hassan", "F", date(1986, 7, 7), marital="married", spouse="ahmad", mobile="+6591234513"),
    Seed("iman", T(12, 10803), "Nur Iman binte Ahmad Firdaus", "F", date(2012, 3, 10), mother="farah", father="ahmad"),
    Seed("adam", T(15, 10804), "Adam bin Ahmad Firdaus", "M", date(2015, 8, 21), mother="farah", father="ahmad"),
    Seed("alya", T(19, 10805), "Alya binte Ahmad Firdaus", "F", date(2019, 2, 2), mother="farah", father="ahmad"),
    Seed("ayden", T(21, 10806), "Ayden bin Ahmad Firdaus", "M", date(2021, 11, 30), mother="farah", father="ahmad"),
    # I: born 43 days ago (one day late); foreign mother with an M-series FIN
    Seed("lee", S(87, 10901), "Lee Kok Wai", "M", date(1987, 2, 14), marital="married", spouse="anitha", mobile="+6591234514"),
    Seed("anitha", nric_rules.make("M", "5110902"), "Anitha d/o Ramasamy", "F", date(1989, 9, 9), nationality="IN",
         status="foreigner", marital="married", spouse="lee", mobile="+6581234515"),
    # J: born exactly 42 days ago (last day online); the first child was born on 13 Feb 2023 (previous scheme)
    Seed("goh", S(83, 11001), "Goh Boon Hock", "M", date(1983, 5, 5), marital="married", spouse="tay", mobile="+6591234516"),
    Seed("tay", S(85, 11002), "Tay Li Ting", "F", date(1985, 10, 1), marital="married", spouse="goh", mobile="+6591234517"),
    Seed("yu-xuan", T(23, 11003), "Goh Yu Xuan", "F", date(2023, 2, 13), mother="tay", father="goh", birth_time="22:10"),
    # K: only child born on 14 Feb 2023 (first day of the current scheme); has a booked screening
    Seed("ong", S(92, 11101), "Ong Jia Hao", "M", date(1992, 4, 4), marital="married", spouse="koh", mobile="+6591234518"),
    Seed("koh", S(93, 11102), "Koh Shu Fen", "F", date(1993, 8, 18), marital="married", spouse="ong", mobile="+6591234519"),
    Seed("rui-en", T(23, 11103), "Ong Rui En", "F", date(2023, 2, 14), mother="koh", father="ong", birth_time="03:20"),
    # L: no children: "someone else" for authorisation checks
    Seed("ho", T(1, 11201), "Ho Mei Xin", "F", date(2001, 6, 6), mobile="+6591234520"),
)

# mother, father, days before the seed day, time, hospital, sex, weight (g)
NOTIFICATIONS = (
    ("lim", "tan", 5, "08:42", "KKH", "M", 3260),
    ("aisyah", "faizal", 12, "23:10", "NUH", "F", 2980),
    ("priya", "rajesh", 20, "11:05", "MAH", "M", 3410),
    ("nurul", None, 8, "04:55", "SKH", "F", 3050),
    ("wong", "chen", 50, "13:30", "TMC", "F", 3120),
    ("maria", "daniel", 3, "19:20", "GEH", "M", 3600),
    ("liu", "zhang", 15, "10:10", "KKH", "F", 2890),
    ("farah", "ahmad", 30, "02:40", "KKH", "M", 3330),
    ("anitha", "lee", 43, "15:15", "NUH", "F", 3010),
    ("tay", "goh", 42, "06:15", "KKH", "M", 3180),
)


def person_id(nric: str) -> str:
    return str(uuid.uuid5(NAMESPACE, nric))


def migrate(engine: Engine) -> None:
    """Create missing tables and record the schema version. A later version adds its steps here, in order."""
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        row = conn.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
        if row is None:
            conn.execute(insert(Meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(row) > SCHEMA_VERSION:
            raise RuntimeError(f"the database has schema {row}, newer than this code ({SCHEMA_VERSION})")


def reset(engine: Engine) -> None:
    Base.metadata.drop_all(engine)
    migrate(engine)


def _born(seed: Seed, today: date) -> date:
    return seed.born if isinstance(seed.born, date) else today - timedelta(days=seed.born)


def seed(sessions: sessionmaker, today: date | None = None) -> bool:
    """Insert the seed data once; False when the database was already seeded."""
    today = today or clock.today()
    with sessions.begin() as s:
        if s.get(Meta, "seeded_on") is not None:
            return False
        s.add(Meta(key="seeded_on", value=today.isoformat()))
        now = clock.now()
        s.add_all(Hospital(code=c, name=n) for c, n in HOSPITALS)
        s.add_all(Clinic(id=c[0], name_en=c[1], name_zh=c[2], name_ms=c[3], name_ta=c[4], address=c[5],
                         postal_code=c[6], cluster=c[7], latitude=c[8], longitude=c[9]) for c in CLINICS)
        ids = {p.key: person_id(p.nric) for p in PEOPLE}
        for p in PEOPLE:
            born = _born(p, today)
            is_child = p.mother is not None
            s.add(Person(
                id=ids[p.key], nric=p.nric, name=p.name, sex=p.sex, date_of_birth=born, nationality=p.nationality,
                residential_status=p.status, marital_status=p.marital,
                mobile=p.mobile, mother_id=ids.get(p.mother) if p.mother else None,
                father_id=ids.get(p.father) if p.father else None,
                born_at=datetime.combine(born, time.fromisoformat(p.birth_time)) if is_child else None,
                parents_married=True if is_child else None, created_at=now,
            ))
        s.flush()
        for p in PEOPLE:  # spouses refer to each other, so they are linked once both rows exist
            if p.spouse:
                s.get(Person, ids[p.key]).spouse_id = ids[p.spouse]
        s.flush()
        for p in PEOPLE:
            if p.mother is None:
                continue
            born = _born(p, today)
            for dose in NCIS:
                due = clock.add_months(born, dose.age_months)
                if due <= today - timedelta(days=14) and dose.code not in p.missing_doses:
                    lapsed = dose.lapses_at_months is not None and clock.add_months(born, dose.lapses_at_months) <= due
                    if not lapsed:
                        s.add(ImmunisationRecord(child_id=ids[p.key], dose_code=dose.code,
                                                 given_on=due + timedelta(days=3), place="Polyclinic"))
        for i, (mother, father, days, at, hospital, sex, weight) in enumerate(NOTIFICATIONS, start=101):
            born_at = datetime.combine(today - timedelta(days=days), time.fromisoformat(at))
            s.add(LiveBirthNotification(
                enlb_number=f"NLB{born_at.year}{i:06d}", hospital_code=hospital, born_at=born_at, sex=sex,
                birth_weight_g=weight, mother_id=ids[mother], father_id=ids[father] if father else None, created_at=now,
            ))
        s.add(BabyBonusApplication(reference="BB-SEED0001", child_id=ids["ayden"], applicant_id=ids["farah"],
                                   bank="DBS/POSB", account_last4="4321", cda_trustee_id=ids["farah"],
                                   status="approved", created_at=datetime(2021, 12, 20, 10, 0)))
    ensure_slots(sessions, today)
    preschool_seed.ensure(sessions)
    _seed_appointment(sessions, ids, today)
    log.info("seeded %d people, %d notifications of live birth, %d clinics", len(PEOPLE), len(NOTIFICATIONS), len(CLINICS))
    return True


def _day_slots(day: date) -> list[tuple[str, time, int]]:
    if day.weekday() == 6:  # polyclinics are closed on Sundays
        return []
    saturday = day.weekday() == 5
    out = []
    at = lambda minutes: time(minutes // 60, minutes % 60)  # noqa: E731
    mornings = [at(8 * 60 + 30 + 15 * i) for i in range(14)]  # 08:30 ... 11:45
    out += [("vaccination", t, 15) for t in mornings]
    out += [("developmental_screening", time(9, 0), 30), ("developmental_screening", time(9, 30), 30)]
    if not saturday:
        out += [("vaccination", at(14 * 60 + 15 * i), 15) for i in range(10)]  # 14:00 ... 16:15
        out += [("developmental_screening", t, 30) for t in (time(10, 0), time(10, 30), time(14, 30), time(15, 0))]
    return out


def ensure_slots(sessions: sessionmaker, today: date | None = None) -> int:
    """Add slots (Monday to Saturday) so that every clinic has them up to 8 weeks from today. Returns how many."""
    today = today or clock.today()
    last_day = today + timedelta(weeks=SLOT_WEEKS) - timedelta(days=1)
    with sessions.begin() as s:
        clinic_ids = list(s.execute(select(Clinic.id).order_by(Clinic.id)).scalars())
        latest = s.execute(select(func.max(Slot.starts_at))).scalar()
        day = max(today, latest.date() + timedelta(days=1)) if latest else today
        rows = []
        while day <= last_day:
            for kind, at, minutes in _day_slots(day):
                for clinic_id in clinic_ids:
                    rows.append({"clinic_id": clinic_id, "service": kind, "starts_at": datetime.combine(day, at),
                                 "duration_min": minutes, "booked_by": None})
            day += timedelta(days=1)
        if rows:
            s.execute(insert(Slot), rows)
    return len(rows)


def _seed_appointment(sessions: sessionmaker, ids: dict[str, str], today: date) -> None:
    """Ong Rui En's developmental screening at Ang Mo Kio, a week or so from the seed day (AP-SEED0001)."""
    with sessions.begin() as s:
        slot = s.execute(
            select(Slot).where(Slot.clinic_id == "ang-mo-kio", Slot.service == "developmental_screening",
                               Slot.starts_at >= datetime.combine(today + timedelta(days=7), time(9, 0)))
            .order_by(Slot.starts_at).limit(1)
        ).scalar_one()
        slot.booked_by = "AP-SEED0001"
        now = clock.now()
        s.add(Appointment(reference="AP-SEED0001", child_id=ids["rui-en"], booked_by_id=ids["koh"], slot_id=slot.id,
                          service="developmental_screening", status="booked", reschedule_count=0,
                          created_at=now, updated_at=now))
