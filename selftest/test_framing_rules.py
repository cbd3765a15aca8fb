"""The framing record and its rules (icepack_verify.api `heard`, icepack_verify.framing).

The record is read off real HTTP answers (a local server, the suite's own client); the rules
are judged on records of the forms RFC 9110/9111 give. The whole chain (twin, suite, message)
is the drift catalogue's: drifts/framing.py, declared in drift_table.py.
"""
from __future__ import annotations

import gzip
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import ROOT
from icepack_verify import api as api_module
from icepack_verify import environments
from icepack_verify.api import ApiClient, Heard
from icepack_verify.errors import Misframed
from icepack_verify.evidence import observed
from icepack_verify.framing import caching, encoding, latency, media_type, shared_lifetime, status

BODY = b'{"status": "ready"}'


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body, headers = BODY, {"Content-Type": "application/json", "Cache-Control": "public, max-age=60"}
        if self.path == "/gzip":
            body, headers["Content-Encoding"] = gzip.compress(BODY), "gzip"
        if self.path in ("/gzip-unapplied", "/gzip-binary"):  # declared, not applied: the framing lies
            body = BODY if self.path == "/gzip-unapplied" else bytes(range(200, 232))
            headers["Content-Encoding"] = "gzip"
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/moved/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        for k, v in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def client():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    c = ApiClient(f"http://127.0.0.1:{server.server_port}", timeout=timedelta(seconds=5), attempts=1)
    yield c
    c.close()
    server.shutdown()


def test_the_client_keeps_each_answers_framing_as_served(client):
    answer = client.get("/gzip")
    assert answer.json() == {"status": "ready"}  # inflated for the caller ...
    heard = client.heard[-1]
    assert (heard.method, heard.route, heard.status) == ("GET", "/gzip", 200)
    assert heard.content_encoding == "gzip"  # ... kept as served
    assert heard.cache_control == "public, max-age=60" and heard.elapsed > 0
    assert heard.read_as_json  # parsed: a JSON route
    client.get("/plain")
    assert not client.heard[-1].read_as_json
    moved = client.get("/moved")
    assert moved.status_code == 302 and client.heard[-1].location == "/moved/"


@pytest.mark.parametrize("route, body", [("/gzip-unapplied", "the body is uncompressed JSON: it begins '{\"status\": \"ready\"}'"),
                                         ("/gzip-binary", "the body is binary: it begins c8 c9 ca cb")])
def test_a_content_encoding_the_body_does_not_have_is_an_observation(client, route, body):
    """The answer arrived whole and is not what its header says: evidence (route, header, what the body is),
    where a connection broken mid-answer is a transport error the tests report as not run."""
    with pytest.raises(Misframed) as lie:
        client.get(route)
    said = str(lie.value)
    assert f"GET {route} answered Content-Encoding: gzip over a body that does not decode so" in said, said
    assert body in said and "RFC 9110 section 8.4" in said, said
    assert observed(lie.value)
    assert isinstance(client.get_many([route, "/plain"])[route], Misframed)  # returned in its place, as the others


def test_the_record_is_bounded(client, monkeypatch):
    monkeypatch.setattr(api_module, "HEARD_AT_MOST", len(client.heard) + 2)
    before = client.unheard
    client.get_many([f"/plain?{n}" for n in range(5)])
    assert len(client.heard) == api_module.HEARD_AT_MOST and client.unheard == before + 3


def heard(**kw) -> Heard:
    base = dict(method="GET", route="/readyz", status=200, content_type="application/json", content_encoding="",
                cache_control="", expires="", date="", location="", elapsed=0.01, read_as_json=True)
    return Heard(**{**base, **kw})


DATE = "Sun, 29 Nov 2026 17:00:00 GMT"


@pytest.mark.parametrize("cache_control, expires, lifetime", [
    ("", "", timedelta(0)),                                   # no explicit freshness: not judged cacheable
    ("public, max-age=86400", "", timedelta(days=1)),
    ("max-age=0, s-maxage=600", "", timedelta(minutes=10)),    # s-maxage is the shared caches' own
    ("private, max-age=300", "", timedelta(0)),                # only a private cache may keep it
    ("no-store", "", timedelta(0)),
    ("no-cache, max-age=600", "", timedelta(0)),               # revalidated every time
    ("public", "", None),                                      # a heuristic lifetime: the cache's choice
    ("", "Sun, 29 Nov 2026 18:00:00 GMT", timedelta(hours=1)),
    ("", "0", timedelta(0)),                                   # an invalid Expires: already expired
])
def test_shared_cache_lifetime_follows_rfc_9111(cache_control, expires, lifetime):
    assert shared_lifetime(heard(cache_control=cache_control, expires=expires, date=DATE)) == lifetime


def env(tmp_path=None, max_age: str | None = None):
    """local's settings from the suite's environments.toml (checks.shared_cache_max_age overridden)."""
    if max_age is None:
        return environments.load(ROOT / "environments.toml", "local", environ={})
    path = tmp_path / "environments.toml"
    text = (ROOT / "environments.toml").read_text()
    path.write_text(text.replace('shared_cache_max_age = "0s"', f'shared_cache_max_age = "{max_age}"', 1))
    return environments.load(path, "local", environ={})


@pytest.mark.parametrize("content_type, ok", [
    ("application/json", True), ("application/json; charset=utf-8", True), ('application/json;charset="UTF-8"', True),
    ("application/problem+json", True), ("application/json; charset=utf-16", False), ("text/plain", False),
    ("text/html; charset=utf-8", False), ("", False)])
def test_json_is_announced_as_json_in_utf8(content_type, ok):
    assert (media_type([heard(content_type=content_type)], env()) == []) is ok
    assert media_type([heard(content_type=content_type, read_as_json=False)], env()) == []  # not read as JSON


@pytest.mark.parametrize("coding, ok", [("", True), ("gzip", True), ("deflate", True), ("identity", True),
                                        ("br", False), ("gzip, br", False), ("zstd", False)])
def test_only_encodings_the_client_asked_for(coding, ok):
    assert (encoding([heard(content_encoding=coding)], env()) == []) is ok


def test_a_setting_admits_a_shared_cache_lifetime(tmp_path):
    day = [heard(cache_control="public, max-age=86400")]
    found = caching(day, env())
    assert found and "checks.shared_cache_max_age" in found[0].source
    assert not caching(day, env(tmp_path, max_age="1d"))


@pytest.mark.parametrize("code, location, ok", [(200, "", True), (404, "", True), (503, "", True), (201, "", False),
                                                (204, "", False), (302, "/readyz/", False), (307, "/x", False)])
def test_a_read_answers_200_where_it_was_asked(code, location, ok):
    assert (status([heard(status=code, location=location)], env()) == []) is ok


@pytest.mark.parametrize("seconds, found", [(0.5, None), (1.2, "warn"), (3.2, "fail")])
def test_latency_warns_then_fails_by_the_settings(seconds, found):
    breaks = latency([heard(elapsed=seconds)], env())
    assert [("warn" if b.warn else "fail") for b in breaks] == ([found] if found else [])
