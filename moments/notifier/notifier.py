"""One notifier run: ask the agencies what is due today (the notifier's clock), and for every parent who opted in send
one SMS per item and window — once, whatever the number of replicas, kills and agency outages (store.py).

    run_once():  quiet hours (21:00-09:00 SGT by default)? -> nothing is sent, the items wait until 09:00
                 for each page of GET /notify/v1/due?on=<today>:
                   subscribers among the page's numbers (conversation id = keyed hash of the number)
                   for each of their items: claim (unique key, weekly cap) -> send -> mark sent -> reply menu

An agency that does not answer ends the run without claiming anything; the next run (every NOTIFIER_INTERVAL
seconds) finds the items again if they are still relevant, so a reminder is late, not lost, and never doubled.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional

import requests

from moments.channels.menus import Menu, Option
from moments.privacy import mask_phone

from . import texts
from .clock import Clock, is_quiet, naive_sgt, parse_quiet_hours
from .sms import OutcomeUnknown, SendRejected, SmsSender
from .store import Claim, Outcome, Store

log = logging.getLogger("moments.notifier")


class AgencyUnavailable(Exception):
    pass


@dataclass
class Config:
    agencies_url: str = "http://127.0.0.1:8000"
    agencies_api_key: str = ""
    notifier_key: str = ""
    conversation_key: str = ""
    weekly_cap: int = 5
    quiet_hours: str = "21:00-09:00"
    interval_seconds: float = 60.0
    page_size: int = 500
    workers: int = 4

    @classmethod
    def from_env(cls, env=None) -> "Config":
        env = os.environ if env is None else env
        return cls(
            agencies_url=(env.get("AGENCIES_URL") or "http://127.0.0.1:8000").rstrip("/"),
            agencies_api_key=(env.get("AGENCIES_API_KEY") or "").split(",")[0].strip(),
            notifier_key=env.get("AGENCIES_NOTIFIER_KEY", ""),
            conversation_key=env.get("SMS_CONVERSATION_KEY", ""),
            weekly_cap=int(env.get("NOTIFIER_WEEKLY_CAP", "5")),
            quiet_hours=env.get("NOTIFIER_QUIET_HOURS", "21:00-09:00"),
            interval_seconds=float(env.get("NOTIFIER_INTERVAL", "60")),
            page_size=int(env.get("NOTIFIER_PAGE_SIZE", "500")),
            workers=int(env.get("NOTIFIER_WORKERS", "4")),
        )


class DueSource:
    """GET /notify/v1/due, page after page."""

    def __init__(self, config: Config, session: Optional[requests.Session] = None):
        self.config = config
        self.session = session or requests.Session()
        self.session.headers.update({"X-API-Key": config.agencies_api_key, "X-Notifier-Key": config.notifier_key})

    def pages(self, on: str) -> Iterator[List[Dict[str, Any]]]:
        after: Optional[str] = None
        while True:
            params = {"on": on, "limit": self.config.page_size, **({"after": after} if after else {})}
            try:
                r = self.session.get(f"{self.config.agencies_url}/notify/v1/due", params=params, timeout=(3, 30))
            except requests.RequestException as exc:
                raise AgencyUnavailable(type(exc).__name__) from None
            if r.status_code != 200:
                raise AgencyUnavailable(f"{r.status_code} {r.text[:200]}")
            page = r.json()
            yield page["citizens"]
            after = page.get("next_after")
            if not after:
                return


@dataclass
class RunResult:
    quiet: bool = False
    agency_down: bool = False
    sent: int = 0
    already: int = 0
    capped: int = 0
    recovered: int = 0
    rejected: int = 0
    unknown: int = 0
    citizens: int = 0

    def __str__(self) -> str:
        if self.quiet:
            return ("quiet hours (NOTIFIER_QUIET_HOURS, Singapore time): nothing sent; the reminders go out when "
                    "they end (or move the clock: make notifier-clock ADVANCE=3h)")
        parts = [f"{k}={v}" for k, v in vars(self).items() if v and k not in ("quiet",)]
        return " ".join(parts) or "nothing due"


@dataclass
class Notifier:
    config: Config
    store: Store
    sms: SmsSender
    clock: Clock
    due: Any = None  # DueSource (or a fake with .pages(on))
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    conversation_id: Callable[[str], str] = None  # type: ignore[assignment]
    after_claim: Optional[Callable[[Claim], None]] = None  # tests: a kill between claim and send

    def __post_init__(self) -> None:
        if self.due is None:
            self.due = DueSource(self.config)
        if self.conversation_id is None:
            from moments.channels.gateway import conversation_id_for

            key = self.config.conversation_key
            self.conversation_id = lambda phone: conversation_id_for(phone, key)
        self.quiet = parse_quiet_hours(self.config.quiet_hours)

    def run_once(self) -> RunResult:
        result = RunResult()
        now = self.clock.now()
        if is_quiet(now, self.quiet):
            result.quiet = True
            return result
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.config.workers)) as pool:
                for citizens in self.due.pages(now.date().isoformat()):
                    by_cid = {self.conversation_id(c["mobile"]): c for c in citizens if c.get("mobile")}
                    subscribed = self.store.subscribed(by_cid)
                    settled = self.store.settled(subscribed)
                    jobs = []
                    for cid, sub in subscribed.items():
                        citizen = by_cid[cid]
                        todo = [i for i in citizen["items"] if (cid, i["key"], i["window"]) not in settled]
                        result.already += len(citizen["items"]) - len(todo)
                        if todo:
                            jobs.append((sub, {**citizen, "items": todo}))
                    result.citizens += len(subscribed)
                    for outcomes in pool.map(lambda job: self._citizen(job[0], job[1], now), jobs):
                        for name in outcomes:
                            setattr(result, name, getattr(result, name) + 1)
        except AgencyUnavailable as exc:
            log.warning("the agencies did not answer (%s): the items wait for the next run", exc)
            result.agency_down = True
        return result

    def _citizen(self, sub, citizen: Dict[str, Any], now: datetime) -> List[str]:
        outcomes = []
        for item in citizen["items"]:
            try:
                outcomes.append(self.deliver(sub, citizen["mobile"], item, now))
            except Exception:  # noqa: BLE001 - one citizen's trouble never stops the run
                log.exception("reminder %s for %s failed", item.get("kind"), sub.conversation_id)
                outcomes.append("unknown")
        return outcomes

    def deliver(self, sub, mobile: str, item: Dict[str, Any], now: datetime) -> str:
        rendered = texts.render(item, sub.language)
        claim = self.store.claim(sub.conversation_id, item, rendered.body, naive_sgt(now), self.config.weekly_cap,
                                 self.worker)
        if claim.outcome is Outcome.STALE:
            return self._recover(sub, mobile, item, rendered, claim, now)
        if claim.outcome is not Outcome.CLAIMED:
            return {Outcome.DONE: "already", Outcome.CAPPED: "capped",
                    Outcome.NOT_SUBSCRIBED: "already"}[claim.outcome]
        if self.after_claim:
            self.after_claim(claim)
        return self._send(sub, mobile, rendered, claim, now)

    def _send(self, sub, mobile: str, rendered, claim: Claim, now: datetime) -> str:
        try:
            sid = self.sms.send(mobile, rendered.body)
        except SendRejected as exc:
            log.warning("the provider refused a reminder to %s: %s", mask_phone(mobile), exc)
            self.store.failed(claim.reminder_id)
            return "rejected"
        except OutcomeUnknown as exc:
            log.warning("a reminder to %s may not have gone out (%s); recovered after the lease", mask_phone(mobile), exc)
            return "unknown"
        self.store.sent(claim.reminder_id, sid, naive_sgt(now))
        self._menu(sub, rendered)
        return "sent"

    def _menu(self, sub, rendered) -> None:
        """What "1" / "2" mean when the parent replies: the SMS channel takes this menu on their next message."""
        if rendered.options:
            # no `asked` text: the reminder's body (a child's name) is not kept at rest
            menu = Menu([Option(t, p) for t, p in rendered.options], texts.lang_of(sub.language))
            try:
                self.store.put_menu(sub.conversation_id, menu.to_json())
            except Exception:  # noqa: BLE001 - the reminder went out; only its "Reply 1" shortcut is lost
                log.exception("could not keep the reply menu of a reminder to %s", sub.conversation_id)

    def _recover(self, sub, mobile: str, item, rendered, stale: Claim, now: datetime) -> str:
        """A claim whose process died: ask the provider before sending again (one replica wins the take-over)."""
        mine = self.store.take_over(stale, rendered.body, self.worker)
        if mine is None:
            return "already"
        since = datetime.fromtimestamp(stale.claimed_at, timezone.utc)
        try:
            out = self.sms.sent_to(mobile, since)
        except OutcomeUnknown:
            return "unknown"
        wanted = {stale.body_sha, texts_sha(rendered.body)}
        match = next((m for m in out if texts_sha(m.body) in wanted), None)
        if match is not None:
            self.store.sent(mine.reminder_id, match.sid, naive_sgt(now))
            self._menu(sub, rendered)
            return "recovered"
        outcome = self._send(sub, mobile, rendered, mine, now)
        return "recovered" if outcome == "sent" else outcome


def texts_sha(body: str) -> str:
    from .store import body_hash

    return body_hash(body)
