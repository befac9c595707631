"""The boundary between a client and the network, as a hostile or broken
site tests it: credentials go to base_url's origin and nowhere else,
redirects are never followed, ``timeout`` bounds a whole call, and
``max_response_size`` bounds the decoded body. Every client kind, and the
framework apps where the path differs."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from authlib_cashsocial import (
    CashSocialError,
    ConfigurationError,
    ProviderRedirectError,
    ProviderTimeoutError,
    UnexpectedResponseError,
)
from authlib_cashsocial.testing import Body, Drip, FakeSite, GzipBomb, Redirect

from .apps import serve_wsgi
from .conftest import Driver, log_in, make_client


class Thief:
    """Another origin that records whatever reaches it."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"access_token": "' + b"0" * 32 + b'"}']


@contextmanager
def thief_site() -> Iterator[tuple[Thief, str]]:
    thief = Thief()
    with serve_wsgi(thief) as url:
        yield thief, url


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_exchange_sends_nothing_elsewhere(
    site: FakeSite, make_driver, status
):
    driver = make_driver()
    callback = log_in(site, driver)
    with thief_site() as (thief, thief_url):
        site.fake.inject(
            "api/authorize", Redirect(f"{thief_url}/steal?next=1", status=status)
        )
        with pytest.raises(ProviderRedirectError) as failure:
            driver.fetch_token(authorization_response=callback)
        assert thief.requests == []
    text = f"{failure.value} {failure.value!r} {failure.value.location_origin}"
    assert failure.value.location_origin == thief_url  # scheme, host and port
    assert "steal" not in text
    assert "next=1" not in text
    assert "base_url" in failure.value.description
    # Only the site's own answer may change the token method: the key was not
    # used, and the next exchange still sends the secret in a POST body.
    driver.fetch_token(authorization_response=callback)
    last = site.fake.requests_to("api/authorize")[-1]
    assert last.method == "POST"
    assert "app_secret" not in last.query


def test_a_redirected_user_info_call_sends_no_token_elsewhere(
    site: FakeSite, make_driver
):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    with thief_site() as (thief, thief_url):
        site.fake.inject("api/get_user_info", Redirect(f"{thief_url}/x", status=307))
        with pytest.raises(ProviderRedirectError):
            driver.userinfo()
        assert thief.requests == []


def test_a_request_to_another_origin_is_refused(site: FakeSite, make_driver):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    with thief_site() as (thief, thief_url):
        with pytest.raises(ConfigurationError) as failure:
            driver._run(driver.client.get(f"{thief_url}/api/get_user_info"))
        with pytest.raises(ConfigurationError):
            driver.fetch_token(url=f"{thief_url}/api/authorize", auth_key="a" * 32)
        assert thief.requests == []
    assert site.base_url in str(failure.value)


def test_a_framework_app_follows_no_redirect(site: FakeSite, make_app):
    app = make_app()
    callback = app.at_site(app.start())
    with thief_site() as (thief, thief_url):
        site.fake.inject("api/authorize", Redirect(f"{thief_url}/s", status=307))
        refused = app.callback(callback)
        assert thief.requests == []
    assert refused.status_code == 400
    assert ProviderRedirectError.error in refused.text


# ---------------------------------------------------------------- deadlines

TIMEOUT = 2.0
# What "ends within timeout" may take beyond it, on a busy machine.
SLACK = 1.0


def test_a_dripping_body_ends_within_the_timeout(site: FakeSite, make_driver):
    driver = make_driver(timeout=TIMEOUT)
    callback = log_in(site, driver)
    site.fake.inject("api/authorize", Drip(interval=0.2, size=500))  # 100 s
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        driver.fetch_token(authorization_response=callback)
    assert time.monotonic() - started < TIMEOUT + SLACK


@contextmanager
def raw_site(answer: Any) -> Iterator[str]:
    """A server that writes whatever ``answer(conn, stop)`` writes to each
    connection (for answers no WSGI server sends), until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        listener.close()
        thread.join(timeout=10)


def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
    """A status line and headers that arrive one byte every 0.2 s, and never
    end."""
    with conn:
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: y\r\n" * 500:
            if stop.wait(0.2):
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return


def test_dripping_headers_end_within_the_timeout(client_kind):
    with raw_site(drip_headers) as base_url:
        client = make_client(client_kind, "1", "s", base_url=base_url, timeout=TIMEOUT)
        driver = Driver(client_kind, client)
        try:
            started = time.monotonic()
            with pytest.raises(ProviderTimeoutError):
                driver.fetch_token(auth_key="a" * 32)
            elapsed = time.monotonic() - started
        finally:
            driver.close()
    assert elapsed < TIMEOUT + SLACK


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    """Headers at once, then a body of 1000 bytes, one every 0.2 s: to any
    request, a proxied one (``GET http://site/...``) included."""
    with conn:
        conn.recv(65536)
        try:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n"
            )
            for _ in range(1000):
                if stop.wait(0.2):
                    return
                conn.sendall(b" ")
        except OSError:
            return


@pytest.mark.parametrize("client_kind", ["httpx", "httpx-async"])
def test_a_proxy_of_the_callers_keeps_the_whole_call_bounded(client_kind):
    """``proxy=`` (here a proxy that drips its answer's body): ``timeout``
    still bounds the whole call."""
    from authlib_cashsocial.httpx_client import AsyncCashSocialClient

    # httpx before 0.26 (Authlib before 1.4) spells it proxies=.
    keyword = "proxy"
    if client_kind == "httpx-async" and (
        "proxy" not in AsyncCashSocialClient.accepted_keywords()
    ):
        keyword = "proxies"
    with raw_site(drip_body) as proxy:
        client = make_client(
            client_kind,
            "1",
            "s",
            base_url="http://127.0.0.1:9",  # reached through the proxy only
            timeout=TIMEOUT,
            **{keyword: proxy},
        )
        driver = Driver(client_kind, client)
        try:
            started = time.monotonic()
            with pytest.raises(ProviderTimeoutError):
                driver.fetch_token(auth_key="a" * 32)
            elapsed = time.monotonic() - started
        finally:
            driver.close()
    assert elapsed < TIMEOUT + SLACK


@pytest.mark.parametrize("option", ["transport", "mounts"])
def test_the_async_client_bounds_a_transport_of_the_callers(option):
    """AsyncCashSocialClient's deadline (a cancel scope) bounds any
    transport: one of the caller's own against a site that drips its body."""
    import asyncio

    from authlib_cashsocial._httpx import httpx2
    from authlib_cashsocial.httpx_client import AsyncCashSocialClient

    if option not in AsyncCashSocialClient.accepted_keywords():
        # Authlib before 1.4 forwards no mounts= to httpx: the option is
        # refused as unknown, never silently dropped.
        with pytest.raises(ConfigurationError) as refused:
            make_client("httpx-async", "1", "s", **{option: {}})
        assert refused.value.option == option
        return
    with raw_site(drip_body) as base_url:
        transport = httpx2.AsyncHTTPTransport()
        own = transport if option == "transport" else {"all://": transport}
        client = make_client(
            "httpx-async", "1", "s", base_url=base_url, timeout=TIMEOUT, **{option: own}
        )

        async def exchange() -> float:
            started = time.monotonic()
            try:
                with pytest.raises(ProviderTimeoutError):
                    await client.fetch_token(auth_key="a" * 32)
            finally:
                await client.aclose()
            return time.monotonic() - started

        elapsed = asyncio.run(exchange())
    assert elapsed < TIMEOUT + SLACK


@pytest.mark.parametrize("option", ["transport", "mounts", "proxies", "app"])
def test_the_sync_httpx_client_refuses_a_transport_it_cannot_bound(option):
    """A synchronous transport of the caller's own has no network backend of
    ours: timeout could bound neither its headers nor its body, so the
    combination is refused, naming what to pass instead (httpx before 0.26
    mounts one of its own for ``proxies=`` and ``app=``)."""
    from authlib_cashsocial._httpx import httpx2

    transport = httpx2.HTTPTransport()
    own = {
        "transport": transport,
        "mounts": {"all://": transport},
        "proxies": "http://127.0.0.1:9",
        "app": object(),
    }[option]
    with pytest.raises(ConfigurationError) as failure:
        make_client("httpx", "1", "s", base_url="http://127.0.0.1:9", **{option: own})
    assert failure.value.option == option
    assert "AsyncCashSocialClient" in failure.value.description
    assert "proxy" in failure.value.description
    transport.close()


def test_a_deadline_socket_outlives_close_until_its_file():
    """The requests deadline socket borrows ``socket.socket.makefile``, which
    counts its files in ``_io_refs`` and is told of each closed one through
    ``_decref_socketios()`` (CPython internals): http.client closes the
    socket before the answer's file, which must still read."""
    from authlib_cashsocial.requests_client import _DeadlineSocket

    ours, theirs = socket.socketpair()
    with theirs:
        wrapped = _DeadlineSocket(ours)
        reader = wrapped.makefile("rb")
        wrapped.close()
        theirs.sendall(b"still here\n")
        assert reader.readline() == b"still here\n"
        assert ours.fileno() != -1
        reader.close()
        assert ours.fileno() == -1  # the last file closed the socket


def test_the_deadline_adapter_makes_deadline_pools():
    """urllib3's pool managers take their pool classes from
    ``pool_classes_by_scheme`` (no constructor argument sets it)."""
    from authlib_cashsocial.requests_client import (
        DeadlineAdapter,
        _DeadlineHTTPPool,
        _DeadlineHTTPSPool,
    )

    adapter = DeadlineAdapter()
    try:
        manager = adapter.poolmanager
        assert type(manager.connection_from_url("http://site.example/")) is (
            _DeadlineHTTPPool
        )
        assert type(manager.connection_from_url("https://site.example/")) is (
            _DeadlineHTTPSPool
        )
        proxied = adapter.proxy_manager_for("http://proxy.example:3128")
        assert type(proxied.connection_from_url("http://site.example/")) is (
            _DeadlineHTTPPool
        )
    finally:
        adapter.close()


# ---------------------------------------------------------------- decoding

MIB = 1024 * 1024


def refused_with_peak(
    call: Callable[[], Any], error: type[Exception] = UnexpectedResponseError
) -> tuple[Any, int]:
    """The error ``call`` raises, and the most memory it held meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(error) as failure:
            call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return failure.value, peak


def test_a_gzip_bomb_costs_bounded_memory(site: FakeSite, make_driver):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    site.fake.inject("api/get_user_info", GzipBomb(decoded_size=1024 * MIB))
    failure, peak = refused_with_peak(driver.userinfo)
    assert "max_response_size" in failure.description
    assert "bytes" in failure.description
    assert peak < 8 * MIB, f"{peak} bytes held for a bounded answer"


def _user_info_of_size(size: int) -> bytes:
    """A valid user-info answer padded (JSON whitespace) to ``size`` bytes."""
    row = b'{"user_info": {"user_id": "7", "user_name": "edge"}}'
    return row + b" " * (size - len(row))


@pytest.mark.parametrize("encoding", [None, "identity", " Identity "])
def test_a_plain_answer_is_bounded_to_the_byte(site: FakeSite, make_driver, encoding):
    """The length the site declares decides: an answer of exactly
    max_response_size bytes is read, one byte more is refused unread."""
    limit = 4096
    driver = make_driver(max_response_size=limit)
    driver.fetch_token(authorization_response=log_in(site, driver))
    headers = () if encoding is None else (("Content-Encoding", encoding),)
    site.fake.inject(
        "api/get_user_info", Body(_user_info_of_size(limit), headers=headers)
    )
    assert driver.userinfo()["preferred_username"] == "edge"
    site.fake.inject(
        "api/get_user_info", Body(_user_info_of_size(limit + 1), headers=headers)
    )
    with pytest.raises(UnexpectedResponseError) as failure:
        driver.userinfo()
    assert f"max_response_size ({limit} bytes)" in failure.value.description
    assert driver.userinfo()["sub"] == "101"  # the client is still usable


@pytest.mark.parametrize(
    "body",
    [
        Body(b"not gzip at all", headers=(("Content-Encoding", "gzip"),)),
        Body(b"\x1f\x8b\x08\x00garbage", headers=(("Content-Encoding", "gzip"),)),
        Body(b"\x0b\x02\x80{}\x03", headers=(("Content-Encoding", "br"),)),
    ],
    ids=["not-gzip", "corrupt-gzip", "unasked-brotli"],
)
def test_an_undecodable_body_is_a_typed_error(site: FakeSite, make_driver, body):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    site.fake.inject("api/get_user_info", body)
    with pytest.raises(UnexpectedResponseError):
        driver.userinfo()
    assert driver.userinfo()["sub"] == "101"  # the client is still usable


def test_a_gzipped_answer_that_fits_is_read(site: FakeSite, make_driver):
    import gzip

    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    row = b'{"user_info": {"user_id": "7", "user_name": "gz"}}'
    site.fake.inject(
        "api/get_user_info",
        Body(gzip.compress(row), headers=(("Content-Encoding", "gzip"),)),
    )
    assert driver.userinfo()["preferred_username"] == "gz"


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_a_read_answer_describes_the_body_it_holds(
    site: FakeSite, make_driver, gzipped
):
    """A raw call's answer holds the decoded body, and its headers say so:
    no Content-Encoding, a Content-Length that is the body's; the site's
    other headers are kept."""
    import gzip

    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    row = b'{"user_info": {"user_id": "7", "user_name": "raw"}}' + b" " * 300
    body = gzip.compress(row) if gzipped else row
    encoding = (("Content-Encoding", "gzip"),) if gzipped else ()
    site.fake.inject(
        "api/get_user_info",
        Body(body, headers=(("X-Site", "kept"), *encoding)),
    )
    answer = driver._run(driver.client.get(driver.client.userinfo_url))
    assert answer.content == row
    assert "content-encoding" not in answer.headers
    assert answer.headers["content-length"] == str(len(row))
    assert answer.headers["x-site"] == "kept"
    assert answer.json()["user_info"]["user_name"] == "raw"


@pytest.mark.parametrize("library", ["requests", "httpx"])
def test_compliance_fix_turns_redirects_off_too(site: FakeSite, library):
    """Your own Authlib session, once fixed, re-sends nothing elsewhere."""
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.integrations.requests_client import OAuth2Session

    from authlib_cashsocial import compliance_fix

    cls = OAuth2Session if library == "requests" else OAuth2Client
    session = compliance_fix(
        cls(site.app.app_id, site.app.app_secret), base_url=site.base_url
    )
    with thief_site() as (thief, thief_url):
        site.fake.inject(
            "api/authorize", Redirect(f"{thief_url}/s", status=307), times=2
        )
        with pytest.raises(ProviderRedirectError):
            session.fetch_token(code="a" * 32)
        assert thief.requests == []
        if library == "httpx":
            with pytest.raises(ProviderRedirectError):
                session.fetch_token(code="a" * 32, follow_redirects=True)
            assert thief.requests == []
    session.close()


# ------------------------------------------------------- what each call carries


def test_a_protected_request_hook_still_signs_the_user_info_call(
    site: FakeSite, make_driver
):
    """The user info is signed once, as Authlib's token holder signs it;
    with a ``protected_request`` compliance hook, the holder signs it and
    the hook runs."""
    driver = make_driver()
    token = driver.fetch_token(authorization_response=log_in(site, driver))

    def hook(url: str, headers: Any, body: Any) -> tuple[str, Any, Any]:
        return f"{url}&hooked=1", headers, body

    driver.client.register_compliance_hook("protected_request", hook)
    assert driver.userinfo()["sub"] == "101"
    [call] = site.fake.requests_to("api/get_user_info")
    assert call.param("hooked") == "1"
    assert call.query["access_token"] == [token["access_token"]]


class Recorder:
    """A site that answers the exchange and the user info, and records the
    Authorization header of each request."""

    def __init__(self) -> None:
        self.authorization: list[str | None] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.authorization.append(environ.get("HTTP_AUTHORIZATION"))
        if environ["PATH_INFO"].endswith("get_user_info"):
            body = b'{"user_info": {"user_id": "7"}}'
        else:
            body = b'{"access_token": "' + b"0" * 32 + b'"}'
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def test_no_netrc_credentials_join_a_call(client_kind, tmp_path, monkeypatch):
    """Each call carries its own credentials (the exchange's form, the
    signed user-info URL): a ``.netrc`` entry for the site adds nothing."""
    recorder = Recorder()
    with serve_wsgi(recorder) as base_url:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login someone password elsewhere\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        client = make_client(client_kind, "1", "s" * 28, base_url=base_url)
        driver = Driver(client_kind, client)
        try:
            driver.fetch_token(auth_key="a" * 32)
            assert driver.userinfo()["sub"] == "7"
        finally:
            driver.close()
    assert recorder.authorization == [None, None]


# ---------------------------------------- answers and calls a review attacked


def list_length_answer(conn: socket.socket, stop: threading.Event) -> None:
    """A hostile answer: ``Content-Length: 50, 50`` (the list form RFC 9110
    allows, which urllib3 reads as 50 and http.client cannot parse), then
    256 MiB and the connection closed."""
    with conn:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50, 50\r\nConnection: close\r\n\r\n"
        )
        block = b" " * MIB
        with contextlib.suppress(OSError):
            for _ in range(256):
                if stop.is_set():
                    return
                conn.sendall(block)


def test_a_list_form_content_length_does_not_lift_max_response_size(client_kind):
    """``Content-Length: 50, 50`` then 256 MiB: the client stops at
    max_response_size (64 KiB here), as for any other answer. urllib3 reads
    that header as 50 and http.client as no length at all, so a read of
    "the declared length" would run to the end of the stream."""
    limit = 64 * 1024
    with raw_site(list_length_answer) as base_url:
        client = make_client(
            client_kind,
            "1",
            "s" * 28,
            base_url=base_url,
            max_response_size=limit,
            timeout=30,
        )
        driver = Driver(client_kind, client)
        try:
            failure, peak = refused_with_peak(
                lambda: driver.fetch_token(auth_key="a" * 32), CashSocialError
            )
        finally:
            driver.close()
    assert peak < 16 * MIB, f"{peak // MIB} MiB held for a {limit}-byte bound"
    if client_kind == "requests":  # a bad answer, not a broken connection
        assert isinstance(failure, UnexpectedResponseError)


def test_an_exchange_with_headers_of_the_callers_still_sends_a_form(
    site: FakeSite, make_driver
):
    """``fetch_token(headers=...)`` is a request option (the apps'
    ``authorize_access_token(headers=...)`` too): the caller's headers
    replace Authlib's, and the ready form is still sent typed (untyped, a
    site reads no $_POST and rejects the app_id)."""
    driver = make_driver(token_method="post")
    callback = log_in(site, driver)
    token = driver.fetch_token(
        authorization_response=callback, headers={"X-Request-Id": "r-1"}
    )
    assert token["access_token"]
    [call] = site.fake.requests_to("api/authorize")
    assert call.method == "POST"
    assert call.form.get("app_id") == [site.app.app_id]


@pytest.mark.parametrize("framework", ["starlette"])
def test_a_starlette_app_exchange_with_headers_of_the_callers(
    site: FakeSite, make_app, framework
):
    """The same through a registered Starlette app (AsyncCashSocialClient):
    ``authorize_access_token(request, headers=...)``."""

    def route(**kwargs):
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def with_headers(request):
            remote = kwargs["oauth"].create_client("cashsocial")
            try:
                token = await remote.authorize_access_token(
                    request, headers={"X-Request-Id": "r-1"}
                )
            except CashSocialError as error:
                return JSONResponse(error.error, status_code=400)
            return JSONResponse(token["userinfo"]["sub"])

        kwargs["app"].router.routes.insert(0, Route("/hdr", with_headers))

    app = make_app(extra=route, callback_path="/hdr")
    answer = app.callback(app.at_site(app.start()))
    assert answer.status_code == 200, answer.text
    assert answer.json() == "101"


@pytest.mark.parametrize("client_kind", ["requests"])
def test_a_session_built_with_stream_true_keeps_the_body_bound(
    site: FakeSite, make_driver, client_kind
):
    """A session made with ``stream=True`` (requests merges it into every
    send) still reads the exchange's and the user info's answers within
    max_response_size: both read the JSON they get."""
    from authlib_cashsocial.testing import HugeBody

    limit = 64 * 1024
    driver = make_driver(stream=True, max_response_size=limit)
    callback = log_in(site, driver)
    site.fake.inject("api/authorize", HugeBody(size=64 * MIB))
    with pytest.raises(UnexpectedResponseError) as failure:
        driver.fetch_token(authorization_response=callback)
    assert "max_response_size" in failure.value.description
    driver.fetch_token(authorization_response=callback)
    site.fake.inject("api/get_user_info", HugeBody(size=64 * MIB))
    failure, peak = refused_with_peak(driver.userinfo)
    assert "max_response_size" in failure.description
    assert peak < 16 * MIB, f"{peak // MIB} MiB held for a {limit}-byte bound"


def test_a_token_without_an_access_token_gets_the_holders_error(
    site: FakeSite, make_driver
):
    """A token dict with no ``access_token`` is refused by Authlib's token
    holder, as before the user info was signed here; nothing is sent."""
    from authlib.integrations.base_client.errors import UnsupportedTokenTypeError

    driver = make_driver()
    driver.client.token = {"token_type": "Bearer", "expires_at": time.time() + 3600}
    with pytest.raises(UnsupportedTokenTypeError):
        driver.userinfo()
    assert site.fake.requests_to("api/get_user_info") == []
