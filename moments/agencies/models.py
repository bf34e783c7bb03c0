"""Database tables. Datetimes are naive Singapore time (see clock.py). Money is whole cents or whole dollars as the
column name says. Concurrency rules live in the schema: one registration per notification of live birth, one Baby
Bonus application per child, one booked appointment per child and service, one booking per slot (the slot's
`booked_by` is claimed with a conditional UPDATE)."""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Meta(Base):
    """Key/value facts about this database: schema version, the day it was seeded."""

    __tablename__ = "agency_meta"
    key = Column(String(40), primary_key=True)
    value = Column(String(200), nullable=False)


class Person(Base):
    """A citizen, permanent resident or foreigner known to MyInfo; registered children are persons too."""

    __tablename__ = "persons"
    id = Column(String(36), primary_key=True)
    nric = Column(String(9), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    sex = Column(String(1), nullable=False)  # F | M
    date_of_birth = Column(Date, nullable=False)
    nationality = Column(String(2), nullable=False)  # ISO 3166-1 alpha-2
    residential_status = Column(String(20), nullable=False)  # citizen | permanent_resident | foreigner
    marital_status = Column(String(10), nullable=False)  # single | married | divorced | widowed
    spouse_id = Column(String(36), ForeignKey("persons.id"), nullable=True)
    mobile = Column(String(16), nullable=True, unique=True)  # E.164, e.g. +6591234567
    mother_id = Column(String(36), ForeignKey("persons.id"), nullable=True, index=True)
    father_id = Column(String(36), ForeignKey("persons.id"), nullable=True, index=True)
    born_at = Column(DateTime, nullable=True)  # for children: date and time of birth
    parents_married = Column(Boolean, nullable=True)  # for children: were the parents married at the birth
    created_at = Column(DateTime, nullable=False)


class Hospital(Base):
    __tablename__ = "hospitals"
    code = Column(String(8), primary_key=True)
    name = Column(String(120), nullable=False)


class LiveBirthNotification(Base):
    """The hospital's electronic notification of live birth (eNLB), which a registration must match."""

    __tablename__ = "live_birth_notifications"
    id = Column(Integer, primary_key=True, autoincrement=True)
    enlb_number = Column(String(16), nullable=False, unique=True)
    hospital_code = Column(String(8), ForeignKey("hospitals.code"), nullable=False)
    born_at = Column(DateTime, nullable=False)
    sex = Column(String(1), nullable=False)
    birth_weight_g = Column(Integer, nullable=True)
    mother_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    father_id = Column(String(36), ForeignKey("persons.id"), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False)


class BirthRegistration(Base):
    __tablename__ = "birth_registrations"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    notification_id = Column(Integer, ForeignKey("live_birth_notifications.id"), nullable=False, unique=True)
    child_id = Column(String(36), ForeignKey("persons.id"), nullable=False, unique=True)
    child_name = Column(String(66), nullable=False)
    child_ethnic_name = Column(String(30), nullable=True)
    ethnic_script = Column(String(8), nullable=True)  # han | tamil | jawi
    mother_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    father_id = Column(String(36), ForeignKey("persons.id"), nullable=True, index=True)
    parents_married = Column(Boolean, nullable=False)
    mother_dialect = Column(String(30), nullable=True)
    father_dialect = Column(String(30), nullable=True)
    registered_by_id = Column(String(36), ForeignKey("persons.id"), nullable=False)
    fee_cents = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False)
    certificate_expires_at = Column(DateTime, nullable=False)


class BabyBonusApplication(Base):
    __tablename__ = "baby_bonus_applications"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    child_id = Column(String(36), ForeignKey("persons.id"), nullable=False, unique=True)
    applicant_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    bank = Column(String(10), nullable=False)
    account_last4 = Column(String(4), nullable=False)  # the full number is not kept
    cda_trustee_id = Column(String(36), ForeignKey("persons.id"), nullable=False)
    status = Column(String(12), nullable=False)  # approved
    created_at = Column(DateTime, nullable=False)


class Clinic(Base):
    __tablename__ = "clinics"
    id = Column(String(32), primary_key=True)  # slug, e.g. bukit-batok
    name_en = Column(String(80), nullable=False)
    name_zh = Column(String(80), nullable=False)
    name_ms = Column(String(80), nullable=False)
    name_ta = Column(String(120), nullable=False)
    address = Column(String(160), nullable=False)
    postal_code = Column(String(6), nullable=False)
    cluster = Column(String(60), nullable=False)
    latitude = Column(Float, nullable=False)
    longitude = Column(Float, nullable=False)


class Slot(Base):
    __tablename__ = "slots"
    id = Column(Integer, primary_key=True, autoincrement=True)
    clinic_id = Column(String(32), ForeignKey("clinics.id"), nullable=False)
    service = Column(String(24), nullable=False)  # vaccination | developmental_screening
    starts_at = Column(DateTime, nullable=False)
    duration_min = Column(Integer, nullable=False)
    booked_by = Column(String(16), nullable=True)  # the appointment reference holding it
    __table_args__ = (
        UniqueConstraint("clinic_id", "service", "starts_at", name="uq_slot"),
        Index("ix_slot_lookup", "clinic_id", "service", "starts_at"),
    )


class Appointment(Base):
    __tablename__ = "appointments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    child_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    booked_by_id = Column(String(36), ForeignKey("persons.id"), nullable=False)
    slot_id = Column(Integer, ForeignKey("slots.id"), nullable=False)
    service = Column(String(24), nullable=False)
    status = Column(String(12), nullable=False)  # booked | cancelled | attended
    reschedule_count = Column(Integer, nullable=False, default=0)
    cancel_reason = Column(String(200), nullable=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    __table_args__ = (
        Index(
            "uq_one_booked_per_child_service",
            "child_id",
            "service",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )


class ImmunisationRecord(Base):
    __tablename__ = "immunisation_records"
    id = Column(Integer, primary_key=True, autoincrement=True)
    child_id = Column(String(36), ForeignKey("persons.id"), nullable=False)
    dose_code = Column(String(10), nullable=False)
    given_on = Column(Date, nullable=False)
    place = Column(String(120), nullable=False)
    __table_args__ = (UniqueConstraint("child_id", "dose_code", name="uq_dose"),)


class Address(Base):
    """A person's registered (MyInfo) residential address; children live at a parent's."""

    __tablename__ = "addresses"
    person_id = Column(String(36), ForeignKey("persons.id"), primary_key=True)
    line = Column(String(160), nullable=False)  # "406 Ang Mo Kio Avenue 10, #08-1234"
    postal_code = Column(String(6), nullable=False)


class PreschoolCentre(Base):
    """An ECDA-licensed preschool. Lists are comma-separated; fees are whole dollars a month for a Singapore
    Citizen child (the fee after subsidy is computed by preschool_fees, never stored)."""

    __tablename__ = "preschool_centres"
    id = Column(String(48), primary_key=True)  # slug, e.g. little-sprouts-amk-406
    name = Column(String(120), nullable=False)
    operator = Column(String(80), nullable=False)
    operator_kind = Column(String(10), nullable=False)  # anchor | partner | moe | private
    services = Column(String(60), nullable=False)  # infant_care,childcare,kindergarten
    programmes = Column(String(40), nullable=False)  # full_day,half_day,flexi
    second_languages = Column(String(40), nullable=False)  # chinese,malay,tamil
    fee_infant_care_dollars = Column(Integer, nullable=True)
    fee_childcare_dollars = Column(Integer, nullable=True)
    fee_kindergarten_dollars = Column(Integer, nullable=True)
    address = Column(String(160), nullable=False)
    postal_code = Column(String(6), nullable=False)
    latitude = Column(Float, nullable=False)
    longitude = Column(Float, nullable=False)
    opening_hours = Column(String(120), nullable=False)
    accessibility = Column(String(200), nullable=False)


class PreschoolVacancy(Base):
    __tablename__ = "preschool_vacancies"
    id = Column(Integer, primary_key=True, autoincrement=True)
    centre_id = Column(String(48), ForeignKey("preschool_centres.id"), nullable=False)
    level = Column(String(10), nullable=False)  # infant | playgroup | n1 | n2 | k1 | k2
    vacancies = Column(Integer, nullable=False)
    waitlist = Column(Integer, nullable=False)  # children waiting
    __table_args__ = (UniqueConstraint("centre_id", "level", name="uq_vacancy_level"),)


class PreschoolInterest(Base):
    """A registration of interest for a centre and start month. One active (not cancelled or declined) per child
    and centre, held by a partial unique index."""

    __tablename__ = "preschool_interests"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    child_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    centre_id = Column(String(48), ForeignKey("preschool_centres.id"), nullable=False)
    registered_by_id = Column(String(36), ForeignKey("persons.id"), nullable=False)
    level = Column(String(10), nullable=False)
    programme = Column(String(10), nullable=False)
    start_month = Column(Date, nullable=False)  # the 1st of the month
    status = Column(String(12), nullable=False)  # submitted | waitlisted | offered | declined | cancelled
    waitlist_position = Column(Integer, nullable=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    __table_args__ = (
        Index(
            "uq_one_active_interest_per_child_centre",
            "child_id",
            "centre_id",
            unique=True,
            sqlite_where=text("status IN ('submitted', 'waitlisted', 'offered')"),
            postgresql_where=text("status IN ('submitted', 'waitlisted', 'offered')"),
        ),
    )


class Feedback(Base):
    """Feedback on a centre or on a service. `text` is as written, in any language, with personal data masked
    (moments.privacy.mask_personal) before it is stored."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    person_id = Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    centre_id = Column(String(48), ForeignKey("preschool_centres.id"), nullable=True)
    service = Column(String(32), nullable=True)
    rating = Column(Integer, nullable=False)
    text = Column(Text, nullable=True)
    language = Column(String(2), nullable=True)
    masked = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False)


class IdempotencyRecord(Base):
    """One per (caller, Idempotency-Key): claimed before the work, completed in the work's own transaction."""

    __tablename__ = "idempotency_records"
    id = Column(Integer, primary_key=True, autoincrement=True)
    scope = Column(String(120), nullable=False)
    key = Column(String(255), nullable=False)
    fingerprint = Column(String(64), nullable=False)
    state = Column(String(12), nullable=False)  # processing | done
    status_code = Column(Integer, nullable=True)
    response_body = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False)
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency"),)
