"""Analytics for operators: the numbers the console shows are those of conversations this test writes into a real
tracker store (PrivateSQLTrackerStore, SQLite and PostgreSQL), in the page, in the CSV and in a browser."""
from __future__ import annotations

import csv
import io
import re
import time
import uuid

import pytest

from console_testkit import Store, axe_violations, bot_domain, run_async, browser_login, console_secrets, shot
from moments.console import analytics
from moments.console.synthetic import Plan, events_for

# (plan, how many): 10 Tamil Baby Bonus applications by SMS, 6 completed, 4 abandoned (3 at the bank, one at the
# account after asking for a person); 4 Chinese birth registrations on the web, 3 done (one with an agency error,
# one with 2 messages the bot did not understand), one abandoned at the first question; one English booking still
# going on.
PLANS = ([(Plan("baby_bonus", "ta", "sms", seconds_per_turn=30), 6),
          (Plan("baby_bonus", "ta", "sms", completed=False, stop_at="bb_bank"), 3),
          (Plan("baby_bonus", "ta", "sms", completed=False, stop_at="bb_account", handoff=True), 1),
          (Plan("birth_registration", "zh", "web", seconds_per_turn=10), 1),
          (Plan("birth_registration", "zh", "web", seconds_per_turn=10, agency_error=True), 1),
          (Plan("birth_registration", "zh", "web", seconds_per_turn=10, fallbacks=2), 1),
          (Plan("birth_registration", "zh", "web", completed=False, stop_at="myinfo_consent"), 1)])


def write_conversations(store: Store, now: float) -> None:
    n = 0
    for plan, count in PLANS:
        for _ in range(count):
            n += 1
            store.save(f"c{n}", events_for(plan, now - 7200 + n))  # two hours ago: finished or abandoned
    # started a minute ago and not finished: in progress, not abandoned
    store.save("going-on", events_for(Plan("book_appointment", "en", "web", completed=False,
                                           stop_at="appointment_clinic", seconds_per_turn=5), now - 60))


def table(html: str) -> dict:
    """{(journey, lang, channel): {column: text}} from the page's table."""
    out = {}
    for row in re.finditer(r'<tr data-journey="(\w+)" data-lang="(\w+)" data-channel="(\w+)">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'data-k="(\w+)">([^<]*)<', row.group(4)))
        out[row.group(1, 2, 3)] = cells
    return out


def test_the_operator_sees_this_weeks_journeys_per_language_and_channel(store, console_for):
    now = time.time()
    write_conversations(store, now)
    console = console_for(store)
    page = console.session("operator").get(f"{console.url}/analytics", timeout=60)
    assert page.status_code == 200, page.text
    rows = table(page.text)

    bb = rows[("baby_bonus", "ta", "sms")]
    assert (bb["started"], bb["completed"], bb["abandoned"], bb["in_progress"]) == ("10", "6", "4", "0")
    assert bb["completion"] == "60%"
    assert bb["turns"] == "7"            # the message that started it + 6 answers
    assert bb["time"] == "3.0 min"        # 6 answers, 30 s apart
    assert bb["handoff"] == "10%"
    assert bb["steps"] == "bb_bank (3), bb_account (1)"

    br = rows[("birth_registration", "zh", "web")]
    assert (br["started"], br["completed"], br["abandoned"]) == ("4", "3", "1")
    assert br["agency_errors"] == "1"
    assert br["steps"].startswith("myinfo_consent (1)")
    # 2 fallbacks among 1 + 9 + 1 + 9 + 1 + 11 messages
    assert br["fallback"] == "6%"

    booking = rows[("book_appointment", "en", "web")]
    assert (booking["started"], booking["in_progress"], booking["abandoned"]) == ("1", "1", "0")
    assert "14</strong> journeys started" in page.text.replace("\n", " ") or "15</strong>" in page.text

    # the same numbers to download
    csv_rows = list(csv.DictReader(io.StringIO(
        console.session("operator").get(f"{console.url}/analytics.csv", timeout=60).text)))
    by_key = {(r["journey"], r["language"], r["channel"]): r for r in csv_rows}
    assert by_key[("baby_bonus", "ta", "sms")]["completion_rate"] == "0.6"
    assert by_key[("baby_bonus", "ta", "sms")]["median_seconds_to_complete"] == "180.0"
    assert by_key[("birth_registration", "zh", "web")]["abandoned_at"] == "myinfo_consent=1"
    days = list(csv.DictReader(io.StringIO(
        console.session("operator").get(f"{console.url}/analytics.csv?what=days", timeout=60).text)))
    assert sum(int(r["started"]) for r in days) == 15

    # filters: only Tamil
    tamil = table(console.session("operator").get(f"{console.url}/analytics?lang=ta", timeout=60).text)
    assert set(tamil) == {("baby_bonus", "ta", "sms")}
    tamil_csv = console.session("operator").get(f"{console.url}/analytics.csv?lang=ta", timeout=60).text
    assert [r["language"] for r in csv.DictReader(io.StringIO(tamil_csv))] == ["ta"]


def test_bad_dates_are_said_not_a_500(store, console_for):
    write_conversations(store, time.time())
    console = console_for(store)
    page = console.session("operator").get(f"{console.url}/analytics?from=last+week", timeout=60)
    assert page.status_code == 200
    assert "is not a day: write it as YYYY-MM-DD" in page.text


@pytest.mark.postgres
def test_the_same_figures_from_postgresql(store, tmp_path):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = f"console_{uuid.uuid4().hex[:10]}"
            conn.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"PostgreSQL is not there on 127.0.0.1:5432: {e}")
    try:
        import os

        from rasa.shared.core.trackers import DialogueStateTracker

        from moments.privacy.store import PrivateSQLTrackerStore

        now = time.time()
        os.environ["PRIVACY_KEY"] = store.privacy_key
        pg = PrivateSQLTrackerStore(domain=bot_domain(), dialect="postgresql", host="127.0.0.1", port=5432,
                                    db=name, username="postgres")
        n = 0
        for plan, count in PLANS:
            for _ in range(count):
                n += 1
                events = events_for(plan, now - 7200 + n)
                run_async(pg.save(DialogueStateTracker.from_events(f"c{n}", events, slots=bot_domain().slots)))
                store.save(f"c{n}", events)
        pg.engine.dispose()
        from_pg = analytics.from_store(f"postgresql://postgres@127.0.0.1:5432/{name}", now=now)
        from_sqlite = analytics.from_store(store.url, now=now)
        assert analytics.cells_csv(from_pg) == analytics.cells_csv(from_sqlite)
        assert from_pg.total().started == 14 and from_pg.total().completed == 9
    finally:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


def test_analytics_page_in_a_browser(store, console_for, browser):
    write_conversations(store, time.time())
    console = console_for(store)
    page = browser_login(browser, console, "operator")
    assert page.url.endswith("/analytics")
    page.wait_for_selector("svg.chart")
    assert page.locator("#journeys tbody tr").count() == 3
    assert "Baby Bonus application" in page.locator("svg.chart").first.inner_html()
    page.get_by_label("Language", exact=True).select_option("ta")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("#journeys tbody tr").count() == 1
    shot(page, "analytics-operator")
    with page.expect_download() as download:
        page.get_by_role("link", name="per journey, language and channel (CSV)").click()
    assert "baby_bonus,ta,sms,10,6,4" in open(download.value.path(), encoding="utf-8").read()
    assert not page.console_errors, page.console_errors
    axe_page = browser_login(browser, console, "operator", axe=True)
    violations = axe_violations(axe_page)
    assert not violations, violations


def test_analytics_reads_nothing_personal(store):
    """What the analytics reads from the rows: the counted columns and a few JSON fields, never a message text."""
    sql = analytics.events_sql("sqlite", None)
    assert "'$.text'" not in sql and "parse_data.text" not in sql
    assert console_secrets()["CONSOLE_SESSION_KEY"]
