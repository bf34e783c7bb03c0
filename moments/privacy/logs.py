"""Every log line of Rasa and the action server masked like ours (`mask_personal`), whoever logs it.

`install()` (called by moments/serve.py before Rasa or rasa-sdk configure logging) does two things:
- a log record factory that masks the message (and its arguments, exception text and stack) when the record is
  made: Rasa and Sanic add and replace handlers while they start, so a filter on today's handlers would miss
  tomorrow's; every record is created by the factory, whichever handler writes it;
- stdout and stderr wrapped in a line-buffered masking stream: what is printed rather than logged (a traceback
  of a crashing turn, Sanic's own messages) goes to var/logs/*.log through these (scripts/run.sh redirects them).

`MaskingFilter` is the same rule as a logging.Filter, for handlers an operator adds in a logging config file.
"""
from __future__ import annotations

import io
import logging
import sys
import threading
import traceback
from typing import Any

from moments.privacy import mask_personal

_installed = False


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_moments_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what there is, masked
        message = f"{record.msg} {record.args}"
    record.msg, record.args = mask_personal(str(message)), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = mask_personal(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_personal(record.stack_info)
    record._moments_masked = True
    return record


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class MaskingStream(io.TextIOBase):
    """Writes whole lines, masked, to `target`; a partial line waits for its newline (or flush)."""

    def __init__(self, target: Any):
        self._target = target
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            if "\n" in self._buffer:
                done, self._buffer = self._buffer.rsplit("\n", 1)
                self._target.write(mask_personal(done) + "\n")
                self._target.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._buffer:
                self._target.write(mask_personal(self._buffer))
                self._buffer = ""
            self._target.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


def install() -> None:
    """Masks every log record and everything written to stdout/stderr in this process (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskingFilter())
    sys.stdout = MaskingStream(sys.stdout)
    sys.stderr = MaskingStream(sys.stderr)
