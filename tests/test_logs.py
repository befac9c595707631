"""Logs: the redactor removes every secret value whole, whatever it holds and
however it is written; the package's filter touches only records about a
registered Sngine site; and the opt-in access-log redaction keeps callback
keys out of the web server's own log."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import authlib_cashsocial
from authlib_cashsocial._redact import (
    ACCESS_LOGGERS,
    RedactingFilter,
    redact_text,
    watch_site,
)
from authlib_cashsocial.testing import FakeSite

from .apps import serve_asgi
from .conftest import log_in

R = "[REDACTED]"
NAMES = st.sampled_from(["app_secret", "auth_key", "access_token"])
SECRETS = st.text(min_size=1, max_size=40)
# A provider message quoting a value without quotes: it runs to white space.
# One that opens with a quote reads as a quoted value (its own property).
BARE = st.text(
    st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=40
).filter(lambda value: value[0] not in "\"'")


@pytest.mark.fuzz
@given(name=NAMES, secret=SECRETS, other=SECRETS)
def test_query_and_form_values_are_redacted_whole(name, secret, other):
    line = (
        f"GET /api/authorize?app_id=1&{name}={quote_plus(secret)}"
        f"&auth_key={quote(other, safe='')}&x=1 HTTP/1.1"
    )
    assert redact_text(line) == (
        f"GET /api/authorize?app_id=1&{name}={R}&auth_key={R}&x=1 HTTP/1.1"
    )


@pytest.mark.fuzz
@given(name=NAMES, secret=SECRETS)
def test_a_url_inside_a_url_is_redacted(name, secret):
    inner = f"/cb?{name}={quote_plus(secret)}&a=1"
    line = f"next={quote(inner, safe='')}&b=2"
    assert redact_text(line) == f"next=%2Fcb%3F{name}%3D{R}%26a%3D1&b=2"


@pytest.mark.fuzz
@given(name=NAMES, secret=SECRETS, ascii_only=st.booleans())
def test_json_values_are_redacted_whole(name, secret, ascii_only):
    text = json.dumps({name: secret, "next": 1}, ensure_ascii=ascii_only)
    assert json.loads(redact_text(text)) == {name: R, "next": 1}


@pytest.mark.fuzz
@given(name=NAMES, secret=SECRETS)
def test_repr_values_are_redacted_whole(name, secret):
    text = repr({name: secret, "next": 1})
    quote_char = repr(secret)[0]
    assert redact_text(text) == (
        f"{{{name!r}: {quote_char}{R}{quote_char}, 'next': 1}}"
    )


@pytest.mark.fuzz
@given(name=NAMES, secret=BARE)
def test_a_bare_value_in_a_message_is_redacted(name, secret):
    assert redact_text(f"invalid {name}: {secret} (retry)") == (
        f"invalid {name}: {R} (retry)"
    )


@pytest.mark.parametrize(
    "value", ["a&b", "a;b", "a,b", "a)b", "a%b", "a b", "a'b\"c", "ключ", "a\nb"]
)
def test_awkward_values_leave_no_tail(value):
    for text in (
        f"x?app_secret={quote_plus(value)}&y=1",
        json.dumps({"app_secret": value}),
        repr({"app_secret": value}),
    ):
        redacted = redact_text(text)
        assert "b" not in redacted.replace("app_secret", ""), redacted


# ---------------------------------------------------------------- the filter


def _record(name: str, msg: str, args: Any) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args, None)


def test_records_about_other_sites_stay_exactly_as_logged():
    watch_site("https://social.example")
    args = ("https", "api.github.com", 443, "GET", "/x?access_token=gh0", 200, 9)
    record = _record("urllib3.connectionpool", '%s://%s:%s "%s %s" %s %s', args)
    before = (record.msg, record.args)
    assert RedactingFilter().filter(record) is True
    assert (record.msg, record.args) == before
    assert record.args is args  # the same tuple, for structured logging


def test_records_about_a_registered_site_keep_their_shape():
    watch_site("https://social.example")
    args = ("https", "social.example", 443, "GET", "/a?access_token=t0k", 200, 9)
    record = _record("urllib3.connectionpool", '%s://%s:%s "%s %s" %s %s', args)
    RedactingFilter().filter(record)
    assert record.msg == '%s://%s:%s "%s %s" %s %s'  # still a template...
    assert record.args[4] == f"/a?access_token={R}"  # ...with its args redacted
    assert record.args[1] == "social.example"


def test_a_login_logs_about_its_site_only_redacted(
    site: FakeSite, make_driver, all_logs
):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    driver.userinfo()
    mentions = [r for r in all_logs.records if "access_token=" in r.getMessage()]
    assert mentions, "nothing logged the user-info URL: the test proves nothing"
    for record in mentions:
        assert f"access_token={R}" in record.getMessage()


# ---------------------------------------------------------------- access logs


@contextmanager
def captured(logger_name: str) -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _callback_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


KEY = "f" * 32


def _werkzeug_request() -> None:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, _callback_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        requests.get(f"http://127.0.0.1:{server.port}/auth?auth_key={KEY}", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _django_request() -> None:
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(_callback_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        requests.get(f"http://127.0.0.1:{port}/auth?auth_key={KEY}", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _uvicorn_request() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with serve_asgi(app, access_log=True) as base_url:
        requests.get(f"{base_url}/auth?auth_key={KEY}", timeout=10)


def _gunicorn_request() -> None:
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    config.set("accesslog", "/dev/null")
    log = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/auth?auth_key={KEY}",
        "PATH_INFO": "/auth",
        "QUERY_STRING": f"auth_key={KEY}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=2)
    try:
        log.access(response, SimpleNamespace(headers=[]), environ, timedelta(0))
    finally:
        for handler in log.access_log.handlers[:]:
            if isinstance(handler, logging.FileHandler):
                log.access_log.removeHandler(handler)
                handler.close()


SERVERS = {
    "werkzeug": ("werkzeug", _werkzeug_request),
    "django": ("django.server", _django_request),
    "uvicorn": ("uvicorn.access", _uvicorn_request),
    "gunicorn": ("gunicorn.access", _gunicorn_request),
}


@pytest.mark.parametrize("server", SERVERS)
def test_access_logs_keep_the_callback_key_once_asked(server):
    logger_name, serve_one_request = SERVERS[server]
    with captured(logger_name) as before:
        serve_one_request()
    assert any(KEY in line for line in before), before  # the leak, as it is
    access_filter = authlib_cashsocial.redact_access_logs()
    try:
        with captured(logger_name) as after:
            serve_one_request()
    finally:
        for name in ACCESS_LOGGERS:
            logging.getLogger(name).removeFilter(access_filter)
    assert after, "the server logged nothing"
    assert not any(KEY in line for line in after), after
    assert any(f"auth_key={R}" in line for line in after), after


def test_our_own_error_texts_survive_redaction():
    """Every description this package writes reads the same after redaction:
    the redactor must not eat our words (``the auth_key: it was...``)."""
    import authlib_cashsocial._responses as responses

    for message in (
        "Bad Request, invalid app_id",
        "invalid app_secret",
        "invalid auth_key",
        "invalid access_token",
        "expired access_token",
        "invalid parameters",
    ):
        error = responses.error_from_message(message)
        assert R not in str(error), str(error)
