"""Logs: the redactor removes every secret value whole, whatever it holds and
however it is written; the package's filter touches only records about a
registered Sngine site; and the opt-in access-log redaction keeps callback
keys out of the web server's own log."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
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

from .apps import BUILDERS, FRAMEWORKS, approve_at_site, serve_asgi
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


# ------------------------------------------- a site in every printed form
# The filter must know a watched site in the form each HTTP library prints:
# httpx drops a default port (https://host/ for https://host:443), urllib3
# writes it (host:443) and an IPv6 host without brackets (::1:8000), a name
# goes out in IDNA (xn--...) and a user may write it in Unicode, any case.

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
UNICODE_LABEL = st.text("абвгдежзиклмнопрстуфхцчшщэюяäöüéñ", min_size=1, max_size=8)


def _swap_case(text: str, flips: list[bool]) -> str:
    return "".join(
        char.swapcase() if flip else char
        for char, flip in zip(text, flips + [False] * len(text), strict=False)
    )


@st.composite
def watched_sites(draw: st.DrawFn) -> tuple[str, str, int | None]:
    """(scheme, host as written in base_url, port or None)."""
    scheme = draw(st.sampled_from(["http", "https"]))
    kind = draw(st.sampled_from(["name", "unicode", "ipv4", "ipv6"]))
    if kind == "name":
        host = ".".join(draw(st.lists(LABEL, min_size=1, max_size=3))) + ".example"
    elif kind == "unicode":
        labels = draw(st.lists(UNICODE_LABEL, min_size=1, max_size=2))
        host = ".".join(labels) + ".рф"
    elif kind == "ipv4":
        host = str(draw(st.ip_addresses(v=4)))
    else:
        host = f"[{draw(st.ip_addresses(v=6))}]"
    host = _swap_case(host, draw(st.lists(st.booleans(), max_size=40)))
    port = draw(
        st.one_of(
            st.none(),
            st.just(443 if scheme == "https" else 80),
            st.integers(1, 65535),
        )
    )
    return scheme, host, port


def _printed_forms(base_url: str, path: str) -> list[str]:
    """The lines the HTTP libraries write about a request to ``base_url``."""
    import httpx2
    import urllib3

    url = base_url + path
    prepared = requests.Request("GET", url).prepare().url
    assert prepared is not None
    pool = urllib3.PoolManager().connection_from_url(prepared)
    request_target = "/" + prepared.split("/", 3)[3]
    return [
        f'HTTP Request: GET {httpx2.URL(url)} "HTTP/1.1 200 OK"',  # httpx
        f'{pool.scheme}://{pool.host}:{pool.port} "GET {request_target} HTTP/1.1"'
        " 200 9",  # urllib3.connectionpool
        f"Starting new HTTP connection (1): {pool.host}:{pool.port}",
        f"Redirecting {prepared} -> /next",
    ]


def _site_in_other_spellings(scheme: str, host: str, port: int | None) -> list[str]:
    """``host`` in the forms a library may print that the above do not give:
    Unicode for IDNA, brackets dropped, another case, the default port
    written or dropped."""
    import idna

    bare = host.strip("[]").lower()
    names = {bare, bare.upper()}
    if ":" not in bare:
        with contextlib.suppress(idna.IDNAError):  # an IPv4 address
            names.add(idna.encode(bare, uts46=True).decode())
        names.update(idna.decode(name) for name in list(names) if "xn--" in name)
    default = 443 if scheme == "https" else 80
    ports = [f":{default}", ""] if port in (None, default) else [f":{port}"]
    lines = []
    for name in names:
        for suffix in ports:
            if ":" in name:  # IPv6: bracketed in a URL, bare beside a port
                lines.append(f"{scheme}://[{name}]{suffix}/api/get_user_info")
                if suffix:
                    lines.append(f"connection to {name}{suffix} dropped")
            else:
                lines.append(f"{scheme}://{name}{suffix}/api/get_user_info")
    return lines


HEX = st.text("0123456789abcdef", min_size=1, max_size=32)


@pytest.mark.fuzz
@given(site=watched_sites(), secret=HEX)
def test_a_watched_site_is_known_in_every_printed_form(site, secret):
    from authlib_cashsocial._redact import SiteSet

    scheme, host, port = site
    base_url = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    sites = SiteSet()
    sites.watch(base_url)
    for line in _printed_forms(base_url, f"/api/authorize?app_secret={secret}"):
        assert sites.mentioned_in(line), (base_url, line)
    for line in _site_in_other_spellings(scheme, host, port):
        assert sites.mentioned_in(line), (base_url, line)


@pytest.mark.fuzz
@given(site=watched_sites(), label=LABEL, shift=st.integers(1, 1000))
def test_another_host_or_port_is_not_a_watched_site(site, label, shift):
    from authlib_cashsocial._redact import SiteSet

    scheme, host, port = site
    base_url = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    sites = SiteSet()
    sites.watch(base_url)
    default = 443 if scheme == "https" else 80
    other_port = ((port or default) + shift - 1) % 65535 + 1
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    for line in (
        f"{scheme}://{shown}:{other_port}/x?access_token=t",
        f"{scheme}://{label}.{bare}/x" if ":" not in bare else "no host here",
        f"{scheme}://{label}-{bare}/x" if ":" not in bare else "nor here",
        f"{scheme}://{label}.invalid:{port or default}/x",
    ):
        assert not sites.mentioned_in(line), (base_url, line)


def _library_records(records: list[logging.LogRecord]) -> list[str]:
    return [
        record.getMessage()
        for record in records
        if record.name.startswith(("urllib3", "httpx", "httpcore"))
    ]


@contextmanager
def _fake_site_at(host: str, port: int, base_url: str) -> Iterator[FakeSite]:
    """The demo site served on ``host``:``port``, known as ``base_url``."""
    from authlib_cashsocial.testing import FakeProviderServer, FakeSngine, seed_demo

    # 4.0.3 reads the query string: the exchange URL carries app_secret.
    fake = FakeSngine(release="4.0.3")
    with FakeProviderServer(fake, host=host, port=port) as server:
        url = base_url.format(port=server.port)
        app, users = seed_demo(server.fake, redirect_url="http://127.0.0.1/cb")
        site = FakeSite(server.fake, url, app, {u.user_name: u for u in users})
        try:
            yield site
        finally:
            site.browser.close()


def _log_in_logging_everything(
    site: FakeSite, client_kind: str, all_logs: pytest.LogCaptureFixture
) -> tuple[list[str], list[str]]:
    """A login with the secret in the exchange URL (token_method="get");
    returns the library log lines and the three secrets used."""
    from .conftest import Driver, make_client

    driver = Driver(
        client_kind,
        make_client(
            client_kind,
            client_id=site.app.app_id,
            client_secret=site.app.app_secret,
            base_url=site.base_url,
            token_method="get",
        ),
    )
    try:
        callback = log_in(site, driver)
        auth_key = callback.rsplit("auth_key=", 1)[1].split("&")[0]
        token = driver.fetch_token(authorization_response=callback)
        driver.userinfo()
    finally:
        driver.close()
    secrets = [site.app.app_secret, auth_key, token["access_token"]]
    return _library_records(all_logs.records), secrets


def _assert_redacted(lines: list[str], secrets: list[str]) -> None:
    assert any("/api/authorize" in line for line in lines), lines  # proves it
    assert any("access_token=" in line for line in lines), lines
    for line in lines:
        for secret in secrets:
            assert secret not in line, line


def test_an_ipv6_site_is_redacted_in_every_library_log(client_kind, all_logs):
    try:
        socket.socket(socket.AF_INET6).close()
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("this machine has no IPv6 loopback (::1)")
    with _fake_site_at("::1", 0, "http://[::1]:{port}") as site:
        lines, secrets = _log_in_logging_everything(site, client_kind, all_logs)
    _assert_redacted(lines, secrets)


def test_a_site_on_its_default_port_is_redacted_as_httpx_prints_it(
    client_kind, all_logs
):
    """``http://localhost:80``: httpx prints ``http://localhost/...``, urllib3
    ``localhost:80`` (the same rule as ``https://localhost:443``, without a
    certificate). Port 80 needs root and a free port; without them the next
    test checks the same forms through httpx's own log line."""
    try:
        server = _fake_site_at("127.0.0.1", 80, "http://localhost:80")
        site = server.__enter__()
    except OSError as exc:
        pytest.skip(f"cannot listen on port 80 here ({exc.strerror})")
    try:
        lines, secrets = _log_in_logging_everything(site, client_kind, all_logs)
    finally:
        server.__exit__(None, None, None)
    _assert_redacted(lines, secrets)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_app_whose_site_is_on_its_default_port_logs_no_secret(framework, all_logs):
    """The web apps on ``http://localhost:80``: the Starlette app's httpx
    printed ``http://localhost/...`` with the secret and the access token."""
    try:
        server = _fake_site_at("127.0.0.1", 80, "http://localhost:80")
        site = server.__enter__()
    except OSError as exc:
        pytest.skip(f"cannot listen on port 80 here ({exc.strerror})")
    try:
        options = {
            "client_id": site.app.app_id,
            "client_secret": site.app.app_secret,
            "base_url": site.base_url,
            "token_method": "get",
        }
        app_server, _oauth = BUILDERS[framework](options, {}, None)
        with app_server as base_url, requests.Session() as browser:
            site.app.redirect_url = base_url + "/auth"
            start = browser.get(base_url + "/login", allow_redirects=False, timeout=10)
            callback = approve_at_site(site, start.headers["Location"])
            done = browser.get(callback, allow_redirects=False, timeout=10)
            assert done.status_code in (302, 307), done.text
        app_netloc = base_url.split("://", 1)[1]
        (exchange,) = site.fake.requests_to("api/authorize")
        (user_info,) = site.fake.requests_to("api/get_user_info")
    finally:
        server.__exit__(None, None, None)
    secrets = [
        site.app.app_secret,
        exchange.param("auth_key"),
        user_info.param("access_token"),
    ]
    # The test's own browser logs its calls to the app (the callback's key is
    # the app's access log business): only the records about the site count.
    about_the_site = [
        line for line in _library_records(all_logs.records) if app_netloc not in line
    ]
    _assert_redacted(about_the_site, secrets)


def test_httpx_log_line_for_a_default_https_port_is_redacted():
    """httpx's own ``HTTP Request`` line for ``https://localhost:443``, through
    the filter every client attaches (no site is listening there)."""
    import httpx2

    watch_site("https://LOCALHOST:443")
    url = httpx2.URL("https://localhost:443/api/authorize?app_secret=s3cr3t")
    record = _record(
        "httpx2", 'HTTP Request: %s %s "%s %d %s"', ("GET", url, "HTTP/1.1", 200, "OK")
    )
    assert "https://localhost/api" in record.getMessage()  # what httpx prints
    RedactingFilter().filter(record)
    assert record.getMessage() == (
        f"HTTP Request: GET https://localhost/api/authorize?app_secret={R} "
        '"HTTP/1.1 200 OK"'
    )


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
