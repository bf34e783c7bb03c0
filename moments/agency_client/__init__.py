"""The bot-side agency client: one synchronous client per agency over one retrying connection pool (client), and
the catalogue of problem codes both the agencies and the bot import (codes).

Imports requests and urllib3 only — never FastAPI, SQLAlchemy or the agency models — so the action server stays
small; tests/unit/test_import_boundaries.py keeps it that way.
"""
from moments.agency_client.client import Agencies, AgencyError, retrying_session

__all__ = ["Agencies", "AgencyError", "retrying_session"]
