"""The one catalogue of problem codes: the agencies answer with them (RFC 9457 `code`), the bot maps them to
messages in four languages, docs/agencies.md lists them. A code never changes meaning; new ones may be added here.

    from moments.agency_client.codes import Code
    if err.code == Code.SLOT_TAKEN: ...          # Code is a str: equal to (and hashed like) its value

tests/unit/test_error_codes.py fails when the bot names a code that is not here or the docs miss one.
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, Tuple

# code → (HTTP status, title)
CATALOGUE: Dict[str, Tuple[int, str]] = {
    # request shape
    "validation_failed": (422, "The request is not valid"),
    "nric_invalid": (422, "The NRIC/FIN is not valid"),
    "mobile_invalid": (422, "The mobile number is not a Singapore mobile number"),
    "name_invalid": (422, "The child's name does not follow the naming rules"),
    "ethnic_name_invalid": (422, "The name in ethnic script is not valid"),
    "dialect_invalid": (422, "The dialect is not valid"),
    "scope_invalid": (422, "Unknown consent scope"),
    "bank_account_invalid": (422, "The bank account number is not valid for that bank"),
    "postal_code_invalid": (422, "The postal code is not a Singapore postal code"),
    "date_range_invalid": (422, "The date range is not valid"),
    "postal_code_required": (422, "A postal code is needed: none was given and there is no home address to use"),
    "start_month_invalid": (422, "The start month is not valid"),
    "idempotency_key_invalid": (422, "The Idempotency-Key header is not valid"),
    "idempotency_key_reused": (422, "The Idempotency-Key was already used for a different request"),
    # authentication and authorisation
    "api_key_missing": (401, "The X-API-Key header is required"),
    "api_key_invalid": (401, "The API key is not valid"),
    "admin_key_invalid": (401, "The admin key is missing or not valid"),
    "login_rate_limited": (429, "Too many login attempts; wait before trying again"),
    "token_missing": (401, "A Singpass token is required"),
    "token_invalid": (401, "The Singpass token is not valid"),
    "token_expired": (401, "The Singpass token has expired"),
    "consent_missing": (403, "The citizen has not consented to this use of their data"),
    "not_authorised": (403, "This record belongs to someone else"),
    "not_a_parent": (403, "Only a parent of the child can do this"),
    # lookups
    "not_found": (404, "No such resource"),
    "method_not_allowed": (405, "Method not allowed"),
    "person_not_found": (404, "No person with that NRIC/FIN or mobile number"),
    "notification_not_found": (404, "No notification of live birth with that number"),
    "registration_not_found": (404, "No birth registration with that reference"),
    "certificate_not_found": (404, "No certificate at this link"),
    "certificate_expired": (410, "The certificate link has expired"),
    "child_not_found": (404, "No child of yours with that id"),
    "application_not_found": (404, "No Baby Bonus application with that reference"),
    "clinic_not_found": (404, "No clinic with that id"),
    "slot_not_found": (404, "No appointment slot with that id"),
    "appointment_not_found": (404, "No appointment with that reference"),
    "centre_not_found": (404, "No preschool centre with that id"),
    "interest_not_found": (404, "No registration of interest with that reference"),
    "feedback_not_found": (404, "No feedback with that reference"),
    # business rules
    "registration_late": (422, "The 42-day period to register the birth online is over"),
    "notification_mismatch": (422, "The details do not match the hospital's notification of live birth"),
    "marital_status_mismatch": (422, "The marital status does not match ICA's records"),
    "father_required": (422, "The father's NRIC/FIN is required when the parents are married"),
    "already_registered": (409, "This birth is already registered"),
    "not_eligible": (422, "The child is not eligible for the Baby Bonus"),
    "application_exists": (409, "A Baby Bonus application for this child already exists"),
    "cda_trustee_invalid": (422, "The CDA trustee must be a parent of the child"),
    "slot_taken": (409, "That slot has just been taken"),
    "slot_in_past": (422, "That slot has already started"),
    "slot_unchanged": (422, "The new slot is the appointment's current slot"),
    "service_mismatch": (422, "The slot is for a different service"),
    "appointment_exists": (409, "The child already has a booked appointment for this service"),
    "appointment_cancelled": (409, "The appointment is cancelled"),
    "appointment_past": (409, "The appointment has already taken place"),
    "appointment_changed": (409, "The appointment was changed by another request; fetch it and try again"),
    "child_age_out_of_range": (422, "The child is too young or too old for preschool on that start month"),
    "level_not_offered": (422, "The centre does not take the child's level or programme"),
    "interest_exists": (409, "The child already has an active registration of interest at this centre"),
    "interest_closed": (409, "The registration of interest is already cancelled or declined"),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is still being processed"),
    # the service itself
    "agency_unavailable": (503, "The agency is unavailable"),
    "agency_error": (500, "The agency failed to answer"),
    "storage_busy": (503, "The agency is busy; retry shortly"),
    "internal_error": (500, "Unexpected error"),
}


class Code(str, Enum):
    """Every code of CATALOGUE as a name the editor and the import check: `Code.REGISTRATION_LATE`."""

    __hash__ = str.__hash__  # so that {Code.X: …}.get("x") and {"x": …}.get(Code.X) both find it

    def __str__(self) -> str:
        return self.value

    VALIDATION_FAILED = "validation_failed"
    NRIC_INVALID = "nric_invalid"
    MOBILE_INVALID = "mobile_invalid"
    NAME_INVALID = "name_invalid"
    ETHNIC_NAME_INVALID = "ethnic_name_invalid"
    DIALECT_INVALID = "dialect_invalid"
    SCOPE_INVALID = "scope_invalid"
    BANK_ACCOUNT_INVALID = "bank_account_invalid"
    POSTAL_CODE_INVALID = "postal_code_invalid"
    DATE_RANGE_INVALID = "date_range_invalid"
    POSTAL_CODE_REQUIRED = "postal_code_required"
    START_MONTH_INVALID = "start_month_invalid"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    API_KEY_MISSING = "api_key_missing"
    API_KEY_INVALID = "api_key_invalid"
    ADMIN_KEY_INVALID = "admin_key_invalid"
    LOGIN_RATE_LIMITED = "login_rate_limited"
    TOKEN_MISSING = "token_missing"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    CONSENT_MISSING = "consent_missing"
    NOT_AUTHORISED = "not_authorised"
    NOT_A_PARENT = "not_a_parent"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PERSON_NOT_FOUND = "person_not_found"
    NOTIFICATION_NOT_FOUND = "notification_not_found"
    REGISTRATION_NOT_FOUND = "registration_not_found"
    CERTIFICATE_NOT_FOUND = "certificate_not_found"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CHILD_NOT_FOUND = "child_not_found"
    APPLICATION_NOT_FOUND = "application_not_found"
    CLINIC_NOT_FOUND = "clinic_not_found"
    SLOT_NOT_FOUND = "slot_not_found"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    CENTRE_NOT_FOUND = "centre_not_found"
    INTEREST_NOT_FOUND = "interest_not_found"
    FEEDBACK_NOT_FOUND = "feedback_not_found"
    REGISTRATION_LATE = "registration_late"
    NOTIFICATION_MISMATCH = "notification_mismatch"
    MARITAL_STATUS_MISMATCH = "marital_status_mismatch"
    FATHER_REQUIRED = "father_required"
    ALREADY_REGISTERED = "already_registered"
    NOT_ELIGIBLE = "not_eligible"
    APPLICATION_EXISTS = "application_exists"
    CDA_TRUSTEE_INVALID = "cda_trustee_invalid"
    SLOT_TAKEN = "slot_taken"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_UNCHANGED = "slot_unchanged"
    SERVICE_MISMATCH = "service_mismatch"
    APPOINTMENT_EXISTS = "appointment_exists"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_PAST = "appointment_past"
    APPOINTMENT_CHANGED = "appointment_changed"
    CHILD_AGE_OUT_OF_RANGE = "child_age_out_of_range"
    LEVEL_NOT_OFFERED = "level_not_offered"
    INTEREST_EXISTS = "interest_exists"
    INTEREST_CLOSED = "interest_closed"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    AGENCY_UNAVAILABLE = "agency_unavailable"
    AGENCY_ERROR = "agency_error"
    STORAGE_BUSY = "storage_busy"
    INTERNAL_ERROR = "internal_error"


assert {c.value for c in Code} == set(CATALOGUE), "Code and CATALOGUE list the same codes"

# Codes after which trying the same request again later may work: the bot keeps the answers and asks to confirm.
RETRYABLE = frozenset({Code.AGENCY_UNAVAILABLE, Code.IDEMPOTENCY_IN_PROGRESS, Code.STORAGE_BUSY})
