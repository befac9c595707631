"""Every error class, reached by a real answer of the fake site over loopback,
for every client kind; what was sent is checked in the site's request log."""

from __future__ import annotations

import socket
import time

import pytest

from authlib_cashsocial import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    CallbackError,
    CashSocialError,
    ClientCredentialsError,
    MalformedAuthKeyError,
    MissingAuthKeyError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnexpectedResponseError,
)
from authlib_cashsocial.testing import (
    Body,
    CloseBeforeAnswer,
    DropMidResponse,
    ErrorBody,
    FakeSite,
    HTMLPage,
    JSONBody,
    Slow,
    Status,
)

from .conftest import log_in


@pytest.mark.parametrize(
    ("release", "methods"), [("4.2", ["POST"]), ("4.0.3", ["POST", "GET"])]
)
@pytest.mark.parametrize("app_id", ["999", "no-such-app"])
def test_unknown_app_id_names_client_id(
    site: FakeSite, make_driver, release, methods, app_id
):
    # The site read the app_id and found no app ("We're sorry, but the
    # application ..."): sending it in the other place would change nothing,
    # so token_method="auto" retries only after "Bad Request, invalid app_id".
    site.fake.release = release
    driver = make_driver(client_id=app_id)
    callback = log_in(site, make_driver())
    with pytest.raises(ClientCredentialsError) as failure:
        driver.fetch_token(authorization_response=callback)
    assert failure.value.option == "client_id"
    assert failure.value.error == "invalid_client"
    assert failure.value.message.startswith("We're sorry, but the application")
    assert "no app with this app_id" in failure.value.description
    assert [r.method for r in site.fake.requests_to("api/authorize")] == methods
    # Nothing was consumed: the right app can still use the key.
    make_driver().fetch_token(authorization_response=callback)


@pytest.mark.parametrize(
    ("message", "expected", "option"),
    [
        ("Bad Request, invalid app_id", ClientCredentialsError, "client_id"),
        ("Bad Request, invalid app_secret", ClientCredentialsError, "client_secret"),
        ("invalid app_secret", ClientCredentialsError, "client_secret"),
        ("Bad Request, invalid auth_key", AuthKeyRejectedError, None),
        ("invalid auth_key", AuthKeyRejectedError, None),
        ("Bad Request, invalid access_token", AccessTokenInvalidError, None),
        ("invalid access_token", AccessTokenInvalidError, None),
        ("Bad Request, expired access_token", AccessTokenExpiredError, None),
        ("expired access_token", AccessTokenExpiredError, None),
        ("Bad Request, invalid parameters", ProviderError, None),
        (
            "We're sorry, but the application you're trying to use doesn't exist "
            "or has been disabled",
            ClientCredentialsError,
            "client_id",
        ),
        # The same text translated, as another site sends it: the site's message.
        (
            "Извините, приложение, которое вы пытаетесь использовать, не "
            "существует или отключено",
            ProviderError,
            None,
        ),
    ],
)
def test_both_forms_of_each_literal_message(
    site: FakeSite, make_driver, message, expected, option
):
    driver = make_driver()
    callback = log_in(site, driver)
    about_the_token = expected in (AccessTokenInvalidError, AccessTokenExpiredError)
    if about_the_token:
        driver.fetch_token(authorization_response=callback)
    site.fake.inject(
        "api/get_user_info" if about_the_token else "api/authorize",
        ErrorBody(message),
    )
    call = (
        driver.userinfo
        if about_the_token
        else lambda: driver.fetch_token(authorization_response=callback)
    )
    with pytest.raises(ProviderError) as failure:
        call()
    assert type(failure.value) is expected
    assert failure.value.message == message
    assert getattr(failure.value, "option", None) == option


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
def test_wrong_app_secret(site: FakeSite, make_driver, release):
    site.fake.release = release
    driver = make_driver(client_secret="wrong")
    with pytest.raises(ClientCredentialsError) as failure:
        driver.fetch_token(authorization_response=log_in(site, driver))
    assert failure.value.option == "client_secret"
    assert failure.value.error == "invalid_client"
    assert "client_secret" in failure.value.description


def test_used_auth_key_is_rejected(site: FakeSite, make_driver):
    driver = make_driver()
    callback = log_in(site, driver)
    driver.fetch_token(authorization_response=callback)
    with pytest.raises(AuthKeyRejectedError) as failure:
        driver.fetch_token(authorization_response=callback)
    assert failure.value.error == "invalid_grant"
    assert failure.value.message == "Bad Request, invalid auth_key"


def test_replaced_auth_key_is_rejected(site: FakeSite, make_driver):
    driver = make_driver()
    older = log_in(site, driver)
    newer = log_in(site, driver)
    with pytest.raises(AuthKeyRejectedError):
        driver.fetch_token(authorization_response=older)
    driver.fetch_token(authorization_response=newer)


def test_expired_token_on_the_site(site: FakeSite, make_driver):
    driver = make_driver()
    driver.fetch_token(authorization_response=log_in(site, driver))
    site.fake.clock.advance(61)  # stock Sngine: 60 s, whatever the page says
    with pytest.raises(AccessTokenExpiredError) as failure:
        driver.userinfo()
    assert isinstance(failure.value, AccessTokenInvalidError)
    assert "60 seconds" in failure.value.description


def test_expired_token_locally_sends_nothing(site: FakeSite, make_driver):
    driver = make_driver(token_lifetime=5)
    token = driver.fetch_token(authorization_response=log_in(site, driver))
    driver.client.token = {**token, "expires_at": int(time.time()) - 1}
    with pytest.raises(AccessTokenExpiredError):
        driver.userinfo()
    assert site.fake.requests_to("api/get_user_info") == []


def test_unknown_token(site: FakeSite, make_driver):
    driver = make_driver()
    driver.client.token = {"access_token": "f" * 32, "token_type": "Bearer"}
    with pytest.raises(AccessTokenInvalidError) as failure:
        driver.userinfo()
    assert type(failure.value) is AccessTokenInvalidError


def test_no_token_yet(site: FakeSite, make_driver):
    with pytest.raises(AccessTokenInvalidError, match="fetch_token"):
        make_driver().userinfo()
    assert site.fake.requests == []


@pytest.mark.parametrize(
    ("callback", "error"),
    [
        ("http://127.0.0.1:5000/auth", MissingAuthKeyError),
        ("http://127.0.0.1:5000/auth?auth_key=", MissingAuthKeyError),
        ("http://127.0.0.1:5000/auth?auth_key=" + "a" * 129, MalformedAuthKeyError),
        (
            "http://127.0.0.1:5000/auth?auth_key=%D0%BA%D0%BB%D1%8E%D1%87",
            MalformedAuthKeyError,
        ),
        ("http://127.0.0.1:5000/auth?auth_key=a b", MalformedAuthKeyError),
        ("http://127.0.0.1:5000/auth?auth_key=k1&auth_key=k2", MalformedAuthKeyError),
    ],
    ids=["missing", "empty", "overlong", "non-ascii", "space", "two-keys"],
)
def test_unusable_callback_sends_nothing(site: FakeSite, make_driver, callback, error):
    with pytest.raises(CallbackError) as failure:
        make_driver().fetch_token(authorization_response=callback)
    assert type(failure.value) is error  # a present but malformed key is not "missing"
    assert site.fake.requests == []


# Each fault: where it is injected, the answer, and the error a caller gets.
FAULTS = {
    "translated-message": (
        "api/authorize",
        ErrorBody("Приложение отключено"),
        ProviderError,
    ),
    "error-flag-string": ("api/authorize", ErrorBody("nope", error="1"), ProviderError),
    "error-flag-number": ("api/get_user_info", ErrorBody("x", error=1), ProviderError),
    "invalid-parameters": (
        "api/authorize",
        ErrorBody("invalid parameters"),
        ProviderError,
    ),
    "html-200": ("api/authorize", HTMLPage(), ProviderUnavailableError),
    "html-503": ("api/get_user_info", Status(503), ProviderUnavailableError),
    "html-403-banned": (
        "api/authorize",
        HTMLPage(status=403),
        ProviderUnavailableError,
    ),
    "empty-list": ("api/get_user_info", JSONBody([]), UnexpectedResponseError),
    "empty-body": ("api/authorize", Body(b""), UnexpectedResponseError),
    "truncated-json": ("api/authorize", Body(b'{"access_tok'), UnexpectedResponseError),
    "token-not-string": (
        "api/authorize",
        JSONBody({"access_token": 5}),
        UnexpectedResponseError,
    ),
    "user-info-list": (
        "api/get_user_info",
        JSONBody({"user_info": []}),
        UnexpectedResponseError,
    ),
    "no-user-info": (
        "api/get_user_info",
        JSONBody({"user": {}}),
        UnexpectedResponseError,
    ),
    "json-404": (
        "api/authorize",
        JSONBody({"ok": 1}, status=404),
        UnexpectedResponseError,
    ),
    "drop-mid-response": ("api/authorize", DropMidResponse(), ProviderUnavailableError),
    "close-before-answer": (
        "api/get_user_info",
        CloseBeforeAnswer(),
        ProviderUnavailableError,
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_fault_gives_typed_error_and_next_login_works(
    site: FakeSite, make_driver, name
):
    path, fault, expected = FAULTS[name]
    driver = make_driver()
    callback = log_in(site, driver)
    site.fake.inject(path, fault)

    def one_login():
        driver.fetch_token(authorization_response=callback)
        driver.userinfo()

    with pytest.raises(expected) as failure:
        one_login()
    assert isinstance(failure.value, CashSocialError)
    assert failure.value.__cause__ is None
    assert failure.value.__context__ is None or isinstance(
        failure.value.__context__, CashSocialError
    )
    # The client is still usable: the next login works.
    driver.fetch_token(authorization_response=log_in(site, driver))
    assert driver.userinfo()["sub"] == "101"


def test_provider_message_is_kept(site: FakeSite, make_driver):
    site.fake.inject("api/authorize", ErrorBody("Приложение отключено"))
    driver = make_driver()
    with pytest.raises(ProviderError) as failure:
        driver.fetch_token(authorization_response=log_in(site, driver))
    assert failure.value.message == "Приложение отключено"
    assert type(failure.value) is ProviderError


def test_html_error_names_status_and_type_not_body(site: FakeSite, make_driver):
    site.fake.inject("api/authorize", HTMLPage(status=503))
    driver = make_driver()
    with pytest.raises(ProviderUnavailableError) as failure:
        driver.fetch_token(authorization_response=log_in(site, driver))
    text = str(failure.value)
    assert "HTTP 503" in text
    assert "text/html" in text
    assert "maintenance" not in text.lower().split("(")[0]  # body not quoted


def test_slow_site_times_out(site: FakeSite, make_driver):
    driver = make_driver(timeout=0.3)
    callback = log_in(site, driver)
    site.fake.inject("api/authorize", Slow(1.5))
    with pytest.raises(ProviderTimeoutError) as failure:
        driver.fetch_token(authorization_response=callback)
    assert isinstance(failure.value, ProviderUnavailableError)


def test_unreachable_site(make_driver):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    driver = make_driver(base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderUnavailableError) as failure:
        driver.fetch_token(auth_key="a" * 32)
    assert "base_url" in failure.value.description
