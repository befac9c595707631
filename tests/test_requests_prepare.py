"""CashSocialSession prepares its requests as requests does (issue #13: it
skips requests' generic merges where there is nothing to merge)."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.auth import HTTPBasicAuth
from requests.cookies import RequestsCookieJar, merge_cookies
from urllib3._collections import HTTPHeaderDict

import authlib_cashsocial
from authlib_cashsocial._requests_prepare import (
    _described,
    _plain_preparation,
    agrees_with_requests,
    prepare_plainly,
)

SITE = "https://site.example"

_NAMES = st.sampled_from(
    ["User-Agent", "user-agent", "Accept", "X-Mine", "x-mine", "Content-Type"]
)
_VALUES = st.one_of(st.none(), st.text("abc/=", max_size=5))
_PAIRS = st.lists(st.tuples(_NAMES, st.text("abc/=", max_size=5)), max_size=5)


def _repeated(pairs: list[tuple[str, str]]) -> HTTPHeaderDict:
    """urllib3's header dict, a name given as often as it comes."""
    headers = HTTPHeaderDict()
    for name, value in pairs:
        headers.add(name, value)
    return headers


_HEADERS = st.one_of(st.dictionaries(_NAMES, _VALUES), _PAIRS.map(_repeated))


class _Method(str, enum.Enum):
    POST = "post"


_AUTH = st.sampled_from([None, HTTPBasicAuth("user", "pass"), ("name", "word")])


def _hook(response: requests.Response, **_kwargs: object) -> None:
    return None


@contextmanager
def _netrc(tmp: Path, use: bool) -> Iterator[None]:
    """Credentials for the site in a ``.netrc`` that requests reads (or none)."""
    before = os.environ.get("NETRC")
    path = tmp / "netrc"
    path.write_text(f"machine {SITE.split('//')[1]} login nobody password netrc-pass\n")
    path.chmod(0o600)
    os.environ["NETRC"] = str(path if use else tmp / "absent")
    try:
        yield
    finally:
        if before is None:
            del os.environ["NETRC"]
        else:
            os.environ["NETRC"] = before


@given(
    method=st.sampled_from(["get", "POST", "Get", b"post", _Method.POST, None]),
    session_headers=_HEADERS,
    request_headers=st.one_of(st.none(), _HEADERS),
    data=st.one_of(
        st.none(),
        st.just("app_id=1&auth_key=2"),
        st.just(b"raw"),
        st.dictionaries(st.sampled_from(["a", "b"]), st.text("xy", max_size=2)),
    ),
    json=st.one_of(st.none(), st.just({"k": 1})),
    params=st.one_of(st.none(), st.just({}), st.just({"q": "1"})),
    session_params=st.sampled_from([{}, {"s": "2"}]),
    request_cookies=st.one_of(st.none(), st.just({"c": "3"})),
    session_cookie=st.booleans(),
    request_auth=_AUTH,
    session_auth=_AUTH,
    trust_env=st.booleans(),
    netrc=st.booleans(),
    request_hook=st.booleans(),
    session_hook=st.booleans(),
)
def test_a_request_is_prepared_as_requests_prepares_it(
    tmp_path_factory,
    method,
    session_headers,
    request_headers,
    data,
    json,
    params,
    session_params,
    request_cookies,
    session_cookie,
    request_auth,
    session_auth,
    trust_env,
    netrc,
    request_hook,
    session_hook,
):
    with (
        _netrc(tmp_path_factory.mktemp("netrc"), netrc),
        authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE) as session,
    ):
        for name, value in session_headers.items():
            session.headers[name] = value
        session.params = dict(session_params)
        session.auth = session_auth
        session.trust_env = trust_env
        if session_cookie:
            session.cookies.set("visit", "1", domain="site.example", path="/")
        if session_hook:
            session.hooks["response"].append(_hook)
        request = requests.Request(
            method,
            f"{SITE}/api/authorize?app_id=1",
            headers=request_headers,
            data=data,
            json=json,
            params=params,
            auth=request_auth,
            cookies=request_cookies,
            hooks={"response": [_hook]} if request_hook else None,
        )
        ours = _outcome(session.prepare_request, request)
        theirs = _outcome(
            lambda r: requests.Session.prepare_request(session, r), request
        )
    assert ours == theirs


def _outcome(prepare, request):
    """The prepared request, described, or the type of what it raised."""
    try:
        return _described(prepare(request))
    except Exception as exc:
        return type(exc)


def test_the_plain_preparation_passes_its_own_check_on_these_releases():
    # A requests release that prepares a request differently fails here (and
    # the package falls back to requests' own preparation).
    assert _plain_preparation() is not None


def test_the_packages_requests_take_the_plain_preparation():
    # The property above compares the two ways; this shows the plain way is
    # the one taken for what the package sends, and requests' otherwise.
    with authlib_cashsocial.CashSocialSession("42", "s3cret", base_url=SITE) as session:
        exchange = requests.Request(
            "POST", f"{SITE}/api/authorize", data="app_id=1", headers={"X": "1"}
        )
        assert prepare_plainly(session, exchange) is not None
        with_params = requests.Request("GET", SITE, params={"q": "1"})
        assert prepare_plainly(session, with_params) is None
        with_cookies = requests.Request("GET", SITE, cookies={"c": "1"})
        assert prepare_plainly(session, with_cookies) is None
        session.params["s"] = "1"
        assert prepare_plainly(session, exchange) is None


def _drifting(drift: str | None):
    """A preparation that does what requests does for the self-check's
    samples, except for ``drift``."""
    from requests.sessions import merge_hooks
    from requests.structures import CaseInsensitiveDict

    def prepare(session, request):
        headers = CaseInsensitiveDict(
            {} if drift == "session headers" else list(session.headers.items())
        )
        if drift == "repeated header joined":  # read by name, not by items()
            headers.update({name: request.headers[name] for name in request.headers})
        else:
            headers.update(list(request.headers.items()))
        if drift != "header removal":
            headers = CaseInsensitiveDict(
                [(k, v) for k, v in headers.items() if v is not None]
            )
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=(
                str(request.method).upper()
                if drift == "method as text"
                else request.method.upper()
            ),
            url=request.url,
            data=request.data,
            headers=headers,
            auth=None if drift == "auth" else session.auth,
            cookies=(
                RequestsCookieJar()
                if drift == "cookies"
                else merge_cookies(RequestsCookieJar(), session.cookies)
            ),
            hooks={} if drift == "hooks" else merge_hooks(request.hooks, session.hooks),
        )
        return prepared

    return prepare


def test_the_self_check_accepts_a_preparation_without_drift():
    # The control for the test below: each drift is all that differs.
    assert agrees_with_requests(_drifting(None))


@pytest.mark.parametrize(
    "drift",
    [
        "session headers",
        "header removal",
        "hooks",
        "cookies",
        "auth",
        "repeated header joined",
        "method as text",
    ],
)
def test_a_preparation_that_differs_from_requests_is_not_used(drift):
    assert not agrees_with_requests(_drifting(drift))
