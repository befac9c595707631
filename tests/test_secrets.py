"""No app_secret, auth_key or access_token in any log record (every logger,
DEBUG) or in the text, repr or chain of any error, even when the server needs
them in URLs."""

from __future__ import annotations

import logging

import pytest

from authlib_cashsocial import CashSocialError, ProviderError
from authlib_cashsocial._redact import RedactingFilter, redact_text, watch_site
from authlib_cashsocial.testing import (
    CloseBeforeAnswer,
    DropMidResponse,
    FakeSite,
    Slow,
)

from .conftest import log_in


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text


def test_flow_logs_no_secret(site: FakeSite, make_driver, all_logs):
    site.fake.release = "4.0.3"  # the secret must travel in the query string
    driver = make_driver()
    callback = log_in(site, driver)
    auth_key = callback.rsplit("=", 1)[1]
    token = driver.fetch_token(authorization_response=callback)
    driver.userinfo()

    secrets = [site.app.app_secret, auth_key, token["access_token"]]
    records = [r for r in all_logs.records if r.name.split(".")[0] != "waitress"]
    assert records, "the HTTP libraries logged nothing: the test would prove nothing"
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in records)
    _assert_clean(logged, secrets)
    # The old server needed the secret in the URL; the URL was logged, redacted.
    assert "app_secret=[REDACTED]" in logged
    assert "access_token=[REDACTED]" in logged


@pytest.mark.parametrize(
    "fault", [DropMidResponse(), CloseBeforeAnswer(), Slow(1.0)], ids=repr
)
def test_transport_errors_carry_no_secret(site: FakeSite, make_driver, all_logs, fault):
    site.fake.release = "4.0.3"
    driver = make_driver(token_method="get", timeout=0.3)
    callback = log_in(site, driver)
    auth_key = callback.rsplit("=", 1)[1]
    site.fake.inject("api/authorize", fault)
    with pytest.raises(CashSocialError) as failure:
        driver.fetch_token(authorization_response=callback)
    secrets = [site.app.app_secret, auth_key]
    for exc in _chain(failure.value):
        _assert_clean(str(exc), secrets)
        _assert_clean(repr(exc), secrets)
        _assert_clean(repr(exc.args), secrets)
    logged = "\n".join(r.getMessage() for r in all_logs.records)
    _assert_clean(logged, secrets)


def test_reprs_hide_the_secret(site: FakeSite, make_driver):
    driver = make_driver()
    assert site.app.app_secret not in repr(driver.client)
    assert site.app.app_secret not in repr(driver.client.dialect)
    assert site.app.app_secret not in repr(driver.client.dialect.settings)


def test_provider_message_quoting_a_secret_is_scrubbed():
    error = ProviderError("bad access_token=0123abcd for app_secret=s3cr3t")
    assert "0123abcd" not in str(error)
    assert "s3cr3t" not in error.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /api/authorize?app_id=1&app_secret=abc&auth_key=def HTTP/1.1",
            "GET /api/authorize?app_id=1&app_secret=[REDACTED]&auth_key=[REDACTED]"
            " HTTP/1.1",
        ),
        (
            "url='http://h/x?access_token=ff00'",
            "url='http://h/x?access_token=[REDACTED]'",
        ),
        ('{"access_token": "ff00"}', '{"access_token": "[REDACTED]"}'),
        ("auth_key%3Dabc%26x", "auth_key%3D[REDACTED]%26x"),
        ("no secrets here", "no secrets here"),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected


def test_filter_rewrites_records_and_keeps_them():
    watch_site("https://site.example")
    record = logging.LogRecord(
        "x",
        logging.DEBUG,
        __file__,
        1,
        "%s %s",
        ("GET", "https://site.example/y?auth_key=abc"),
        None,
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "GET https://site.example/y?auth_key=[REDACTED]"
