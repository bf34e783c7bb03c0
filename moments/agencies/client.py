"""The agency client moved to moments.agency_client (no FastAPI/SQLAlchemy import); this name stays for older
imports (moments.web, privacy tests)."""
from moments.agency_client.client import *  # noqa: F401,F403
from moments.agency_client.client import _problem  # noqa: F401
