"""`python -m moments.notifier` — pro-active reminders (see moments/notifier/__init__.py and README "Reminders").

    python -m moments.notifier run                    every NOTIFIER_INTERVAL seconds (default 60), until stopped
    python -m moments.notifier once                   one run, then print what it did
    python -m moments.notifier clock                  the notifier's clock (Singapore time)
    python -m moments.notifier clock --advance 28d    move it forward (28d, 12h, 1d12h; -1d back); every replica follows
    python -m moments.notifier clock --set 2027-01-04T10:00   move it to that Singapore time
    python -m moments.notifier clock --reset          back to the real time
    python -m moments.notifier status                 reminders by state, subscribers, duplicates (always 0)

Settings: NOTIFIER_DATABASE_URL (default sqlite:///var/notifier.db), AGENCIES_URL, AGENCIES_API_KEY,
AGENCIES_NOTIFIER_KEY, SMS_CONVERSATION_KEY, SMS_API_URL (default the local endpoint http://127.0.0.1:8091),
SMS_API_ACCOUNT_SID, TWILIO_API_TOKEN, SMS_FROM, SMS_STATUS_CALLBACK, NOTIFIER_WEEKLY_CAP (5),
NOTIFIER_QUIET_HOURS (21:00-09:00), NOTIFIER_INTERVAL (60), NOTIFIER_WORKERS (4).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import timedelta

from .clock import StoreClock, parse_duration
from .store import Store


def sender_from_env():
    from .sms import SmsSender
    from .twilio_local import DEFAULT_ACCOUNT_SID

    return SmsSender(os.environ.get("SMS_API_URL") or "http://127.0.0.1:8091",
                     os.environ.get("SMS_API_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID,
                     os.environ.get("TWILIO_API_TOKEN", ""), os.environ.get("SMS_FROM") or "+6580000000",
                     os.environ.get("SMS_STATUS_CALLBACK") or None)


def notifier_from_env(store: Store):
    from moments import secrets

    from .notifier import Config, Notifier

    secrets.require("notifier", ["AGENCIES_API_KEY", "AGENCIES_NOTIFIER_KEY", "SMS_CONVERSATION_KEY",
                                 "TWILIO_API_TOKEN"])
    return Notifier(Config.from_env(), store, sender_from_env(), StoreClock(store))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moments.notifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run")
    sub.add_parser("once")
    clock = sub.add_parser("clock")
    clock.add_argument("--advance", metavar="DURATION")
    clock.add_argument("--reset", action="store_true")
    clock.add_argument("--set", metavar="YYYY-MM-DDTHH:MM", help="Singapore time to move the clock to")
    sub.add_parser("status")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("NOTIFIER_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    store = Store().migrate()
    if args.command == "clock":
        try:
            if args.reset:
                store.set_clock_offset(0)
            elif args.set:
                from datetime import datetime

                from .clock import SGT
                target = datetime.fromisoformat(args.set).replace(tzinfo=SGT)
                store.set_clock_offset((target - datetime.now(SGT)).total_seconds())
            elif args.advance:
                store.set_clock_offset(store.clock_offset() + parse_duration(args.advance).total_seconds())
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        offset = timedelta(seconds=round(store.clock_offset()))
        print(f"notifier clock: {StoreClock(store).now():%a %d %b %Y %H:%M} SGT (real time {'+' if offset >= timedelta() else '-'}{abs(offset)})")
        return 0
    if args.command == "status":
        print(f"reminders: {store.counts() or 'none'}; duplicates: {store.duplicates()}")
        return 0
    notifier = notifier_from_env(store)
    if args.command == "once":
        print(notifier.run_once())
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log = logging.getLogger("moments.notifier")
    log.info("notifier %s: every %ss, quiet hours %s, at most %s a week", notifier.worker,
             notifier.config.interval_seconds, notifier.config.quiet_hours, notifier.config.weekly_cap)
    try:
        while not stop.is_set():
            result = notifier.run_once()
            if result.sent or result.recovered or result.agency_down or result.unknown:
                log.info("run: %s", result)
            stop.wait(notifier.config.interval_seconds)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
