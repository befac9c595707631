"""Every provider fault the fake site can inject, against every client: the
three plain clients and the three framework apps. For each: only a documented
error class comes out, the client stays up and the next login works, memory
stays bounded, and no secret reaches a log record or an error."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest

from authlib_cashsocial import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CashSocialError,
    ClientCredentialsError,
    ProviderError,
    ProviderRedirectError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)
from authlib_cashsocial.testing import (
    Body,
    CloseBeforeAnswer,
    Drip,
    DropMidResponse,
    ErrorBody,
    FakeSite,
    Fault,
    GzipBomb,
    HTMLPage,
    HugeBody,
    JSONBody,
    Redirect,
    Slow,
    Status,
)

from .conftest import CLIENT_KINDS, Driver, log_in, make_client

TOKEN = "api/authorize"
USER = "api/get_user_info"


@dataclass(frozen=True)
class Case:
    path: str
    fault: Fault
    expected: type[CashSocialError]


CASES = {
    "invalid-app-id": Case(
        TOKEN, ErrorBody("Bad Request, invalid app_id"), ClientCredentialsError
    ),
    "invalid-app-secret": Case(
        TOKEN, ErrorBody("Bad Request, invalid app_secret"), ClientCredentialsError
    ),
    "invalid-auth-key": Case(
        TOKEN, ErrorBody("Bad Request, invalid auth_key"), AuthKeyRejectedError
    ),
    "invalid-access-token": Case(
        USER, ErrorBody("Bad Request, invalid access_token"), AccessTokenInvalidError
    ),
    "expired-access-token": Case(
        USER, ErrorBody("Bad Request, expired access_token"), AccessTokenExpiredError
    ),
    "invalid-parameters": Case(
        TOKEN, ErrorBody("Bad Request, invalid parameters"), ProviderError
    ),
    "unknown-app-id": Case(
        TOKEN,
        ErrorBody(
            "We're sorry, but the application you're trying to use doesn't "
            "exist or has been disabled"
        ),
        ClientCredentialsError,
    ),
    "translated-message": Case(TOKEN, ErrorBody("Приложение отключено"), ProviderError),
    "error-is-string-1": Case(TOKEN, ErrorBody("x", error="1"), ProviderError),
    "error-is-number-1": Case(USER, ErrorBody("x", error=1), ProviderError),
    "error-is-yes": Case(TOKEN, ErrorBody("x", error="yes"), ProviderError),
    "html-200": Case(TOKEN, HTMLPage(), ProviderUnavailableError),
    "html-503": Case(USER, Status(503), ProviderUnavailableError),
    "empty-list": Case(USER, JSONBody([]), UnexpectedResponseError),
    "empty-body": Case(TOKEN, Body(b""), UnexpectedResponseError),
    "truncated-json": Case(
        USER, Body(b'{"user_info": {"user_id": "1'), UnexpectedResponseError
    ),
    "user-info-is-list": Case(
        USER, JSONBody({"user_info": []}), UnexpectedResponseError
    ),
    "access-token-is-number": Case(
        TOKEN, JSONBody({"access_token": 5}), UnexpectedResponseError
    ),
    "ten-megabytes": Case(USER, HugeBody(10 * 1024 * 1024), UnexpectedResponseError),
    "hung-server": Case(TOKEN, Slow(3.0), ProviderTimeoutError),
    "dropped-mid-response": Case(USER, DropMidResponse(), ProviderUnavailableError),
    "closed-before-answer": Case(TOKEN, CloseBeforeAnswer(), ProviderUnavailableError),
    # Port 9 (discard) has no listener here: a client that followed the
    # redirect would fail to connect instead of refusing to follow.
    "redirect-301-token": Case(
        TOKEN, Redirect("http://127.0.0.1:9/x", status=301), ProviderRedirectError
    ),
    "redirect-307-user-info": Case(
        USER, Redirect("http://127.0.0.1:9/x", status=307), ProviderRedirectError
    ),
    # A Location that urllib cannot parse (an unclosed IPv6 bracket): still
    # the typed error, not the ValueError of reading its origin.
    "redirect-to-a-broken-url": Case(
        TOKEN, Redirect("http://[::1/x", status=302), ProviderRedirectError
    ),
    "dripping-body": Case(TOKEN, Drip(interval=0.1, size=200), ProviderTimeoutError),
    "gzip-bomb": Case(USER, GzipBomb(64 * 1024 * 1024), UnexpectedResponseError),
    "corrupt-gzip": Case(
        USER,
        Body(b"\x1f\x8bnot gzip", headers=(("Content-Encoding", "gzip"),)),
        UnexpectedResponseError,
    ),
    "unasked-brotli": Case(
        TOKEN,
        Body(b"\x0b\x02\x80{}\x03", headers=(("Content-Encoding", "br"),)),
        UnexpectedResponseError,
    ),
}
# A case that must end in a timeout (the hung server answers after 3 s, the
# drip takes 20) runs with one well under its fault's delay; every other case
# with one that a busy machine never reaches, so that its own error, not a
# timeout, is what it sees (0.5 s for all once failed a connect at load 5).
SHORT_TIMEOUT = 0.5
TIMEOUT = 10.0


def timeout_for(case: Case) -> float:
    return SHORT_TIMEOUT if case.expected is ProviderTimeoutError else TIMEOUT


def _secrets(site: FakeSite) -> set[str]:
    """The app secret and every auth_key / access_token that crossed the wire."""
    values = {site.app.app_secret}
    for entry in site.fake.requests:
        for name in ("auth_key", "access_token"):
            value = entry.param(name)
            if value:
                values.add(value)
    return values


def _chain_text(exc: BaseException | None) -> str:
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def _assert_clean(
    site: FakeSite,
    all_logs: Any,
    error_text: str,
    peak: int,
    *,
    browser_to: str | None = None,
) -> None:
    """No secret in errors or logs; ``browser_to`` is the app's URL, whose
    callback requests the test's own browser logs (the user's side, not the
    app's: no server logs its visitors' HTTP client)."""
    assert peak < 4 * 1024 * 1024, f"{peak} bytes held while failing"
    records = [
        r
        for r in all_logs.records
        if browser_to is None or browser_to not in r.getMessage()
    ]
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in records)
    for secret in _secrets(site):
        assert secret not in logged
        assert secret not in error_text


@pytest.mark.parametrize("kind", CLIENT_KINDS)
@pytest.mark.parametrize("name", CASES)
def test_fault_plain_client(site: FakeSite, all_logs, kind: str, name: str):
    case = CASES[name]
    client = make_client(
        kind,
        site.app.app_id,
        site.app.app_secret,
        base_url=site.base_url,
        timeout=timeout_for(case),
    )
    driver = Driver(kind, client)
    try:
        callback = log_in(site, driver)
        site.fake.inject(case.path, case.fault)

        def one_login() -> None:
            driver.fetch_token(authorization_response=callback)
            driver.userinfo()

        tracemalloc.start()
        with pytest.raises(CashSocialError) as failure:
            one_login()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert type(failure.value) is case.expected
        driver.fetch_token(authorization_response=log_in(site, driver))
        assert driver.userinfo()["sub"] == "101"  # the next login works
    finally:
        driver.close()
    _assert_clean(site, all_logs, _chain_text(failure.value), peak)


def callback_under_fault(site: FakeSite, app: Any, case: Case) -> tuple[Any, int]:
    """Log in at the site through ``app``, make the site answer the callback's
    API call with the case's fault; return the app's answer to the callback
    and the peak of memory traced meanwhile."""
    callback = app.at_site(app.start())
    site.fake.inject(case.path, case.fault)
    tracemalloc.start()
    try:
        resp = app.callback(callback)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return resp, peak


@pytest.mark.parametrize("name", CASES)
def test_fault_framework_app(site: FakeSite, make_app, all_logs, name: str):
    case = CASES[name]
    app = make_app(timeout=timeout_for(case))
    resp, peak = callback_under_fault(site, app, case)
    assert resp.status_code == 400, resp.text  # a typed error page, never a 500
    assert f"<code>{case.expected.error}</code>" in resp.text
    app.login()  # the app stayed up, and the next login works
    assert app.me()["sub"] == "101"
    _assert_clean(site, all_logs, resp.text, peak, browser_to=app.base_url)
