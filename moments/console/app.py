"""The trainers' and operators' console (python -m moments.console, :8090; `make run` starts it, `make console` alone).

Server-rendered pages (no script at all; Content-Security-Policy: everything from this server only), its own login:

  GET  /login, POST /login, POST /logout
  GET  /analytics[.csv]        operators and trainers: how journeys go (?from=&to= Singapore days, journey, lang, channel)
  GET  /review, POST /review   trainers: messages the bot was unsure of -> training examples (moments.trainer.review)
  GET  /train, POST /train/…   trainers: train a candidate, evaluate it, deploy it (the gate), roll back
  GET  /data                   trainers: each intent's examples in en / zh / ms / ta, validate's warnings, responses
  GET  /healthz

Every POST carries the session's CSRF token; sessions are signed HttpOnly, SameSite=Strict cookies (accounts.py).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from moments.console import analytics, charts
from moments.console.accounts import COOKIE, SESSION_SECONDS, Session, Signer, Users
from moments.trainer.project import LANGUAGE_NAMES, LANGS, Project

log = logging.getLogger("moments.console")

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
LOGIN_COOKIE = "moments_console_login"
CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'; object-src 'none'")
CACHE_SECONDS = 60.0


@dataclass
class ConsoleSettings:
    host: str = "127.0.0.1"
    port: int = 8090
    project_root: Optional[Path] = None
    tracker_url: Optional[str] = None     # SQLAlchemy URL; default: the tracker store of `endpoints`
    endpoints: Optional[Path] = None      # the endpoints file Rasa runs with (default: the project's endpoints.yml)
    rasa_url: str = "http://127.0.0.1:5005"
    secure_cookies: bool = False          # set behind HTTPS (CONSOLE_SECURE_COOKIES=1)

    @classmethod
    def from_env(cls, env=None) -> "ConsoleSettings":
        env = os.environ if env is None else env
        return cls(host=env.get("CONSOLE_HOST", "127.0.0.1"), port=int(env.get("CONSOLE_PORT", "8090")),
                   project_root=Path(env["CONSOLE_PROJECT"]) if env.get("CONSOLE_PROJECT") else None,
                   tracker_url=env.get("CONSOLE_TRACKER_URL") or None,
                   endpoints=Path(env["CONSOLE_ENDPOINTS"]) if env.get("CONSOLE_ENDPOINTS") else None,
                   rasa_url=(env.get("CONSOLE_RASA_URL") or f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"),
                   secure_cookies=env.get("CONSOLE_SECURE_COOKIES", "") == "1")


class Forbidden(Exception):
    pass


@dataclass
class State:
    settings: ConsoleSettings
    project: Project
    users: Users
    signer: Signer
    cache: Dict[Tuple, Tuple[float, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tracker_url(self) -> Optional[str]:
        if self.settings.tracker_url:
            return self.settings.tracker_url
        from moments.trainer.review import NoConversationsYet, tracker_store_url
        project = self.project
        if self.settings.endpoints:
            project = _WithEndpoints(project.root, self.settings.endpoints)
        try:
            return tracker_store_url(project)
        except NoConversationsYet:
            return None

    refreshing: set = field(default_factory=set)

    def cached(self, key: Tuple, make: Callable[[], Any]) -> Any:
        """make()'s value, kept CACHE_SECONDS; an older one is returned at once while a thread computes the next
        (a page never waits for 100,000 conversations twice)."""
        now = time.monotonic()
        with self.lock:
            hit = self.cache.get(key)
            if hit and now - hit[0] < CACHE_SECONDS:
                return hit[1]
            if hit and key not in self.refreshing:
                self.refreshing.add(key)
                threading.Thread(target=self._refresh, args=(key, make), daemon=True).start()
            if hit:
                return hit[1]
        value = make()
        with self.lock:
            self.cache[key] = (time.monotonic(), value)
        return value

    def _refresh(self, key: Tuple, make: Callable[[], Any]) -> None:
        try:
            value = make()
            with self.lock:
                self.cache[key] = (time.monotonic(), value)
        except Exception:  # noqa: BLE001 - the page computes it again itself
            log.exception("console: refreshing the analytics failed")
        finally:
            with self.lock:
                self.refreshing.discard(key)

    def forget_cache(self) -> None:
        with self.lock:
            self.cache.clear()


def percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def number(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["percent"] = percent
    env.filters["duration"] = duration
    env.filters["number"] = number
    env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, LANGS=LANGS, JOURNEYS=analytics.JOURNEYS,
                       journey_label=lambda n: analytics.BY_NAME[n].label if n in analytics.BY_NAME else n)
    return env


async def form_of(request: Request) -> Dict[str, str]:
    """The posted form (application/x-www-form-urlencoded), first value of each field."""
    body = (await request.body())[:200_000].decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def create_app(settings: ConsoleSettings, users: Users, session_key: str) -> FastAPI:
    app = FastAPI(title="Moments console", docs_url=None, redoc_url=None, openapi_url=None)
    project = Project(settings.project_root) if settings.project_root else Project()
    state = State(settings, project, users, Signer(session_key))
    app.state.console = state
    tpl = templates()
    from moments import ratelimit

    lockout = ratelimit.login_lockout()  # RATE_LIMIT_LOGIN_FAILURES (5 in 15 minutes) per user name and address

    def session_of(request: Request) -> Optional[Session]:
        return state.signer.read(request.cookies.get(COOKIE))

    def render(request: Request, name: str, session: Optional[Session], status: int = 200, **values) -> HTMLResponse:
        html = tpl.get_template(name).render(
            session=session, csrf=state.signer.csrf(session) if session else "", path=request.url.path, **values)
        return HTMLResponse(html, status_code=status)

    def need(request: Request, permission: str) -> Session:
        session = session_of(request)
        if session is None:
            raise Forbidden("login")
        if not session.may(permission):
            raise Forbidden(permission)
        return session

    async def posted(request: Request, permission: str) -> Tuple[Session, Dict[str, str]]:
        form = await form_of(request)  # read first: answering before the body is read resets the connection
        session = need(request, permission)
        if not state.signer.check_csrf(session, form.get("csrf")):
            raise Forbidden("csrf")
        return session, form

    app.state.need = need
    app.state.posted = posted
    app.state.render = render

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        if str(exc) == "login":
            if request.method == "GET":
                return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
            return PlainTextResponse("Please log in first.", status_code=401)
        session = session_of(request)
        what = ("This form has expired or did not come from this console: reload the page and try again."
                if str(exc) == "csrf" else
                f"Your role ({session.role if session else '?'}) may not do this. Ask a trainer.")
        return render(request, "message.html", session, status=403, title="Not allowed", message=what)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("console: %s %s failed", request.method, request.url.path)
        return render(request, "message.html", session_of(request), status=500, title="Something went wrong",
                      message="The console could not do this (the reason is in its log). Nothing was changed "
                              "that you did not see confirmed. Try again, or tell whoever runs the console.")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        resp: Response = await call_next(request)
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    # -- login ------------------------------------------------------------------------------------------------
    def login_page(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
        import secrets as _random
        nonce = _random.token_urlsafe(16)
        resp = render(request, "login.html", None, status=status, error=error,
                      login_token=state.signer.login_token(nonce), next=_safe_next(request.query_params.get("next")))
        resp.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=settings.secure_cookies,
                        max_age=3600, path="/login")
        return resp

    @app.get("/login")
    def login_form(request: Request):
        return login_page(request)

    @app.post("/login")
    async def login(request: Request):
        form = await form_of(request)
        nonce = request.cookies.get(LOGIN_COOKIE)
        if not nonce or not state.signer.check_login_token(nonce, form.get("login_token")):
            return login_page(request, "This login form has expired: please try again.", status=400)
        user = (form.get("user") or "").strip()[:64]
        keys = (f"console-user:{user.lower()}", f"console-address:{request.client.host if request.client else '?'}")
        locked = lockout.check(*keys)
        if not locked.allowed:
            minutes = max(1, round(locked.retry_after / 60))
            return login_page(request, f"Too many wrong passwords: try again in {minutes} minute(s).", status=429)
        role = state.users.authenticate(user, form.get("password") or "")
        if role is None:
            log.info("console: failed login")
            lockout.fail(*keys)
            return login_page(request, "Wrong user name or password.", status=401)
        log.info("console: %s logged in (%s)", role, "ok")
        resp = RedirectResponse(_safe_next(form.get("next")) or "/", status_code=303)
        resp.set_cookie(COOKIE, state.signer.issue(user, role), httponly=True, samesite="strict",
                        secure=settings.secure_cookies, max_age=SESSION_SECONDS, path="/")
        resp.delete_cookie(LOGIN_COOKIE, path="/login")
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        session = session_of(request)
        form = await form_of(request)
        if session is None or not state.signer.check_csrf(session, form.get("csrf")):
            raise Forbidden("csrf") if session else Forbidden("login")
        state.signer.revoke(session)  # the cookie is no good any more, even if someone kept a copy
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/")
    def home(request: Request):
        session = need(request, "analytics")
        return RedirectResponse("/review" if session.may("review") else "/analytics", status_code=303)

    @app.get("/healthz")
    def healthz() -> Dict[str, str]:
        return {"status": "ok"}

    # -- analytics --------------------------------------------------------------------------------------------
    def warm() -> None:  # this week's figures ready before the first operator asks
        try:
            url = state.tracker_url()
            if url:
                since, until = analytics.this_week()
                state.cached(("analytics", url, since, until), lambda: analytics.from_store(url, since, until))
        except Exception:  # noqa: BLE001
            log.exception("console: computing this week's analytics at start failed")

    threading.Thread(target=warm, name="console-warm", daemon=True).start()

    def analytics_for(request: Request) -> Tuple[Optional[analytics.Analytics], Dict[str, str], str]:
        q = request.query_params
        week = analytics.this_week()
        since, until = q.get("from") or week[0], q.get("to") or week[1]
        problem = ""
        for day in (since, until):
            try:
                analytics.start_of_day(day)
            except ValueError:
                problem = f"'{day}' is not a day: write it as YYYY-MM-DD."
                since, until = week
        filters = {"from": since, "to": until, "journey": q.get("journey") or "", "lang": q.get("lang") or "",
                   "channel": q.get("channel") or ""}
        from moments.trainer.review import ReviewError
        try:
            url = state.tracker_url()
        except ReviewError as e:  # endpoints.yml names no SQL store, or a variable it needs is not set
            return None, filters, str(e)
        if url is None:
            return None, filters, problem or "No conversations yet: the bot has not stored any."
        result = state.cached(("analytics", url, since, until), lambda: analytics.from_store(url, since, until))
        return result, filters, problem

    @app.get("/analytics")
    def analytics_page(request: Request):
        session = need(request, "analytics")
        a, f, problem = analytics_for(request)
        values: Dict[str, Any] = {"a": a, "f": f, "problem": problem}
        if a is not None:
            journey, lang, channel = f["journey"] or None, f["lang"] or None, f["channel"] or None
            rows = {k: c for k, c in a.cells.items()
                    if journey in (None, k[0]) and lang in (None, k[1]) and channel in (None, k[2])}
            values["rows"] = sorted(rows.items())
            values["total"] = a.total(journey, lang, channel)
            langs = [la for la in a.languages if lang in (None, la)]
            by_jl = a.by("journey", "lang")
            groups = []
            for j in analytics.JOURNEYS:
                if journey not in (None, j.name):
                    continue
                bars = []
                for la in langs:
                    cell = a.total(j.name, la, channel) if channel else by_jl.get((j.name, la))
                    if cell and cell.started:
                        ended = cell.completed + cell.abandoned
                        bars.append((LANGUAGE_NAMES.get(la, la), cell.completion_rate,
                                     f"{percent(cell.completion_rate)} of {ended}"))
                if bars:
                    groups.append((j.label, bars))
            values["completion_chart"] = charts.grouped_bars(
                "completion", "Completion rate per journey and language", groups,
                [LANGUAGE_NAMES.get(la, la) for la in langs]) if groups else ""
            steps = []
            for j in analytics.JOURNEYS:
                if journey not in (None, j.name):
                    continue
                cell = a.total(j.name, lang, channel)
                if cell.abandoned:
                    top = cell.steps.most_common(6)
                    steps.append((j.label, [("abandoned", n / cell.abandoned, f"{s}: {n}") for s, n in top]))
            values["steps_chart"] = charts.grouped_bars(
                "steps", "Where journeys were abandoned (share of each journey's abandoned)", steps,
                ["abandoned"]) if steps else ""
            values["steps"] = steps
            daily = a.daily(journey, lang, channel)
            values["daily"] = daily
            values["daily_chart"] = charts.daily_lines(
                "daily", "Journeys started and completed per day", list(daily),
                [("started", [c.started for c in daily.values()]),
                 ("completed", [c.completed for c in daily.values()])]) if daily else ""
        return render(request, "analytics.html", session, **values)

    @app.get("/analytics.csv")
    def analytics_csv(request: Request):
        need(request, "analytics")
        a, f, _ = analytics_for(request)
        what = request.query_params.get("what", "journeys")
        if a is not None and (f["journey"] or f["lang"] or f["channel"]):  # what the page shows, no more
            keep = lambda j, la, ch: (f["journey"] in ("", j)) and (f["lang"] in ("", la)) and (f["channel"] in ("", ch))  # noqa: E731
            a = analytics.Analytics({k: c for k, c in a.cells.items() if keep(*k)},
                                    {k: c for k, c in a.days.items() if keep(*k[1:])}, a.conversations, a.runs,
                                    a.since, a.until, a.seconds)
        body = "" if a is None else (analytics.days_csv(a) if what == "days" else analytics.cells_csv(a))
        name = f"moments-{'days' if what == 'days' else 'journeys'}-{f['from']}-{f['to']}.csv"
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    from moments.console import pages  # the trainer's pages: review, train/evaluate/deploy, data

    pages.install(app, state, tpl)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


@dataclass(frozen=True)
class _WithEndpoints(Project):
    """The project, with the endpoints file `make run` gave Rasa (ENDPOINTS=…) instead of its endpoints.yml."""
    endpoints_file: Path = Path("endpoints.yml")

    @property
    def endpoints(self) -> Path:
        return self.endpoints_file if self.endpoints_file.is_absolute() else self.root / self.endpoints_file


def _safe_next(value: Optional[str]) -> str:
    """Only a path of this console (never another site: //evil, https://…)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""
