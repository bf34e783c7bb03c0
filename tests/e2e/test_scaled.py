"""Operators' scale-out path: two Rasa replicas sharing PostgreSQL (tracker store) and Redis (lock store),
configured only by deploy/endpoints.scaled.yml + environment — the same code as the SQLite default."""
import subprocess
import time
import uuid

import pytest
import requests

from testkit import BIN, MODEL, ROOT, free_port, wait_http
from moments.scale import reachable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def replicas(servers, tmp_path_factory):
    if not reachable(5432):
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 - scale-out test skipped")
    if not reachable(6379):
        pytest.skip("Redis not reachable at 127.0.0.1:6379 - scale-out test skipped")
    import psycopg2

    db = f"moments_scaled_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{db}"')
    workdir = tmp_path_factory.mktemp("scaled")
    env = {**servers.env, "ACTION_SERVER_URL": f"{servers.actions_url}/webhook", "DB_HOST": "127.0.0.1",
           "DB_PORT": "5432", "DB_USER": "postgres", "DB_PASSWORD": "", "DB_NAME": db,
           "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1"}
    procs, urls = [], []
    try:
        for i in range(2):
            port = free_port()
            log = workdir / f"replica{i}.log"
            proc = subprocess.Popen(
                [str(BIN / "python"), "-m", "moments.serve", "rasa", "--port", str(port), "-m", str(MODEL),
                 "--endpoints", str(ROOT / "deploy" / "endpoints.scaled.yml"),
                 "--credentials", str(ROOT / "credentials.yml")],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            procs.append(proc)
            wait_http(f"http://127.0.0.1:{port}/version", proc, log)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls, db, servers.rasa_token
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


def servers_token(replicas) -> str:
    return replicas[2]


def test_a_conversation_moves_between_replicas_and_lands_in_postgres(replicas):
    urls, db, _ = replicas
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    turns = ["你好", "婴儿花红有多少钱？", "谢谢"]
    for i, text in enumerate(turns):
        url = urls[i % 2]
        for _ in range(60):  # the replica may still be loading its model
            r = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
            if r.status_code == 200 and r.json():
                break
            time.sleep(1)
        assert r.status_code == 200 and r.json(), (url, r.status_code, r.text[:300])
    tracker = requests.get(f"{urls[0]}/conversations/{sender}/tracker", params={"token": servers_token(replicas)},
                           timeout=30).json()
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert user_texts == turns           # replica 0 sees the turn replica 1 handled
    assert tracker["slots"]["language"] == "zh"

    import psycopg2
    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=db) as conn:
        count = conn.cursor()
        count.execute("SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'", (sender,))
        assert count.fetchone()[0] == len(turns)


def test_messages_to_both_replicas_at_once_lose_no_turn(replicas):
    """One message to each replica for the same conversation at the same moment, many rounds: every user message is
    in PostgreSQL, each followed by the bot's answer — no lost turn, no fragment without its user message."""
    import concurrent.futures

    urls, db, token = replicas
    sender = f"pairs-{uuid.uuid4().hex[:8]}"
    rounds = 12
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(rounds):
            futures = [pool.submit(requests.post, f"{url}/webhooks/rest/webhook",
                                   json={"sender": sender, "message": f"thanks {i}-{n}"}, timeout=120)
                       for n, url in enumerate(urls)]
            for f in futures:
                r = f.result()
                assert r.status_code == 200 and r.json(), r.text[:300]
    tracker = requests.get(f"{urls[1]}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
    user = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert sorted(user) == sorted(f"thanks {i}-{n}" for i in range(rounds) for n in range(2)), user
    # every turn is whole: user message, the bot's answer, back to listening, never interleaved with another turn
    kinds = [e["event"] if e["event"] != "action" else e["name"] for e in tracker["events"]
             if e["event"] in ("user", "bot") or (e["event"] == "action" and e["name"] == "action_listen")]
    turns = "".join({"user": "U", "bot": "B", "action_listen": "L"}[k] for k in kinds)
    import re
    assert re.fullmatch(r"L?(UB+L)+", turns), turns

    import psycopg2
    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=db) as conn:
        count = conn.cursor()
        count.execute("SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'", (sender,))
        assert count.fetchone()[0] == 2 * rounds
