"""Logging with NRICs/FINs and phone numbers masked in every line (messages, arguments, tracebacks, access lines).

Masking happens in the formatter, after the line is complete, so nothing formatted into a message can slip past
it. The rule itself lives in `moments.privacy` (shared with the bot and the trainer tools): S1234567D -> S****567D.
"""
from __future__ import annotations

import logging

from moments.privacy import mask_personal

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_personal(super().format(record))

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return mask_personal(super().formatException(ei))


def log_config(level: str = "INFO") -> dict:
    """A logging.config dict for uvicorn and the service: one masked stream handler on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"masked": {"()": MaskingFormatter, "format": FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "masked", "stream": "ext://sys.stderr"}},
        "loggers": {
            "moments": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "sqlalchemy": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
