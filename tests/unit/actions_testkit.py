"""Helpers for action unit tests (fixtures are in conftest.py beside this file)."""
from __future__ import annotations

from datetime import datetime

# A Wednesday morning in Singapore, inside polyclinic hours: what the actions' clock says in unit tests.
FROZEN_NOW = datetime(2026, 11, 25, 10, 0)
