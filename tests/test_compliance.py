"""Reading callbacks and provider answers, and compliance_fix on Authlib's own
sessions over real loopback HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from authlib.integrations.requests_client import OAuth2Session
from hypothesis import given
from hypothesis import strategies as st

from authlib_cashsocial import (
    CashSocialError,
    ClientCredentialsError,
    MissingAuthKeyError,
    ProviderError,
    ProviderUnavailableError,
    UnexpectedResponseError,
    compliance_fix,
)
from authlib_cashsocial._callback import auth_key_from_callback
from authlib_cashsocial._responses import error_from_message, read_api_response
from authlib_cashsocial.testing import FakeSite


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://app.example/cb?auth_key=abc123", "abc123"),
        ("https://app.example/cb?next=/x?auth_key=abc123", "abc123"),
        ("https://app.example/cb?a=1&b=2?auth_key=abc123#frag", "abc123"),
        ("auth_key=abc123", "abc123"),
        ("?auth_key=abc123", "abc123"),
        ("https://app.example/cb?auth_key=k&auth_key=k", "k"),
    ],
)
def test_auth_key_from_callback(url, key):
    assert auth_key_from_callback(url) == key


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example/cb",
        "https://app.example/cb#auth_key=x",
        "https://app.example/cb?code=abc",
        "https://app.example/auth_key=abc",
        "",
    ],
)
def test_callback_without_key(url):
    with pytest.raises(MissingAuthKeyError):
        auth_key_from_callback(url)


@dataclass
class Answer:
    """A received HTTP answer, as the parsing functions read it."""

    content: bytes
    status_code: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("message", "cls", "option"),
    [
        ("Bad Request, invalid app_id", ClientCredentialsError, "client_id"),
        ("invalid app_secret", ClientCredentialsError, "client_secret"),
        ("INVALID APP_SECRET ", ClientCredentialsError, "client_secret"),
    ],
)
def test_credential_messages(message, cls, option):
    error = error_from_message(message)
    assert type(error) is cls
    assert error.option == option


@pytest.mark.parametrize("flag", [True, 1, "1", "yes", "true", {"code": 3}])
def test_truthy_error_flags(flag):
    with pytest.raises(ProviderError):
        read_api_response(
            Answer(json.dumps({"error": flag, "message": "m"}).encode()), what="t"
        )


@pytest.mark.parametrize("flag", [False, 0, "0", "", None, "false"])
def test_false_error_flags_are_not_errors(flag):
    body = {"error": flag, "access_token": "a"}
    assert read_api_response(Answer(json.dumps(body).encode()), what="t") == body


def test_error_without_message():
    with pytest.raises(ProviderError, match="without a message"):
        read_api_response(Answer(b'{"error": true}'), what="t")


bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["error", "message", "access_token", "user_info", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=10,
    ).map(lambda v: json.dumps(v).encode()),
)


@pytest.mark.fuzz
@given(
    bodies,
    st.sampled_from([200, 200, 302, 404, 500, 503]),
    st.sampled_from(["application/json", "text/html", ""]),
)
def test_any_answer_gives_a_dict_or_a_documented_error(body, status, content_type):
    documented = (ProviderError, ProviderUnavailableError, UnexpectedResponseError)
    try:
        data = read_api_response(
            Answer(body, status, {"content-type": content_type}), what="t"
        )
    except documented as exc:
        failure: CashSocialError = exc
    else:
        assert isinstance(data, dict)
        assert 200 <= status < 300
        return
    assert failure.__context__ is None  # nothing holding the body is chained


def test_compliance_fix_on_authlib_session(site: FakeSite):
    """A plain Authlib OAuth2Session, fixed, logs in over loopback."""
    session = compliance_fix(
        OAuth2Session(site.app.app_id, site.app.app_secret), base_url=site.base_url
    )
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    callback = site.browser.log_in(url, username="alice", password="wonderland")
    token = session.fetch_token(code=auth_key_from_callback(callback))
    assert token["token_type"] == "Bearer"
    resp = session.get(session.metadata["userinfo_endpoint"])
    assert resp.json()["user_info"]["user_name"] == "alice"
    assert (
        site.fake.requests_to("api/get_user_info")[0].param("access_token")
        == token["access_token"]
    )


@pytest.mark.parametrize(("given", "kept"), [(60, 0), (120, 0), (5, 5), (0, 0)])
def test_compliance_fix_leeway_never_expires_a_fresh_token(given, kept):
    # Authlib's default leeway is 60 s, Sngine's tokens live 60 s: kept, every
    # token would be expired from the start (and Authlib would try a refresh).
    session = compliance_fix(OAuth2Session("42", "s", leeway=given))
    assert session.leeway == kept


def test_compliance_fix_auto_on_an_old_server_asks_for_one_retry(site: FakeSite):
    site.fake.release = "4.0.3"
    session = compliance_fix(
        OAuth2Session(site.app.app_id, site.app.app_secret), base_url=site.base_url
    )
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    key = auth_key_from_callback(
        site.browser.log_in(url, username="bob", password="builder")
    )
    with pytest.raises(ClientCredentialsError, match="retry"):
        session.fetch_token(code=key)
    # The key was not used up, and the session has learned to use the query.
    assert session.fetch_token(code=key, method="GET")["access_token"]


@pytest.mark.fuzz
@given(
    st.one_of(
        bodies,
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=12), inner, max_size=6)
            ),
            max_leaves=16,
        ).map(lambda v: json.dumps({"user_info": v}).encode()),
    )
)
def test_any_user_info_answer_gives_claims_or_a_documented_error(body):
    from authlib_cashsocial._dialect import SngineDialect
    from authlib_cashsocial._options import Settings

    fix = SngineDialect(Settings.from_options(client_id="1", client_secret="s"))
    documented = (ProviderError, ProviderUnavailableError, UnexpectedResponseError)
    try:
        claims = fix.userinfo_from_response(Answer(body))
    except documented:
        return
    json.dumps(claims)
    assert claims["sub"]
