"""deploy/nginx.conf, run by a real nginx in front of the real stack: the channels and the page get through, Rasa's
HTTP API never does — not even with the right token."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import requests

from testkit import BIN, ROOT, free_port, wait_http

pytestmark = pytest.mark.slow

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if shutil.which("/usr/sbin/nginx") else None)


@pytest.fixture(scope="module")
def proxy(servers, tmp_path_factory):
    if not NGINX:
        pytest.skip("nginx not installed (Debian package nginx-light; .ci/run installs it) - proxy test skipped")
    run = tmp_path_factory.mktemp("nginx")
    web_port, listen = free_port(), free_port()
    web_log = run / "web.log"
    web = subprocess.Popen([str(BIN / "python"), "-m", "moments.web", "--port", str(web_port)], cwd=ROOT,
                           env={**servers.env, "AGENCIES_URL": servers.agencies_url,
                                "RASA_PORT": servers.rasa_url.rsplit(":", 1)[1]},
                           stdout=web_log.open("wb"), stderr=subprocess.STDOUT)
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for key, value in {"MOMENTS_RUN_DIR": str(run), "MOMENTS_RASA_PORT": servers.rasa_url.rsplit(":", 1)[1],
                       "MOMENTS_WEB_PORT": str(web_port), "MOMENTS_LISTEN": f"127.0.0.1:{listen}"}.items():
        conf = conf.replace(key, value)
    (run / "nginx.conf").write_text(conf)
    log = run / "nginx.out"
    nginx = subprocess.Popen([NGINX, "-c", str(run / "nginx.conf"), "-p", str(run)],
                             stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{web_port}/healthz", web, web_log, timeout=60)
        wait_http(f"http://127.0.0.1:{listen}/healthz", nginx, log, timeout=30)
        yield f"http://127.0.0.1:{listen}"
    finally:
        for proc in (nginx, web):
            proc.terminate()
            proc.wait(timeout=30)


def test_the_rest_channel_answers_through_the_proxy(proxy):
    r = requests.post(f"{proxy}/webhooks/rest/webhook", json={"sender": f"proxy-{time.time_ns()}", "message": "hello"},
                      timeout=60)
    assert r.status_code == 200 and r.json() and r.json()[0]["text"]


def test_the_page_and_the_widget_socket_get_through(proxy):
    page = requests.get(f"{proxy}/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    handshake = requests.get(f"{proxy}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert handshake.status_code == 200 and '"sid"' in handshake.text


@pytest.mark.parametrize("method,path", [
    ("GET", "/conversations/anyone/tracker"), ("POST", "/conversations/anyone/tracker/events"),
    ("POST", "/model/parse"), ("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
    ("GET", "/status"), ("GET", "/domain"), ("GET", "/webhooks/rest/webhook"),
])
def test_rasas_api_is_not_reachable_through_the_proxy_even_with_the_token(servers, proxy, method, path):
    r = requests.request(method, f"{proxy}{path}", params={"token": servers.rasa_token}, json={"text": "hi"},
                         timeout=10)
    assert r.status_code in (403, 404), (method, path, r.status_code)
    direct = servers.api("GET", "/status")
    assert direct.status_code == 200  # the same token works on the loopback address: it is the proxy that refuses
