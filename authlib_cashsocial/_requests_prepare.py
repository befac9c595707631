"""How a ``CashSocialSession`` prepares a request: requests' own steps,
without the generic merges that have nothing to merge.

``requests.Session.prepare_request`` merges the request's headers and
query parameters with the session's through ``merge_setting``, then encodes
the merged parameters. Since requests 2.33 each of those steps checks its
input against typing Protocols (``SupportsItems``, ``SupportsRead``); on
Python 3.11 one such check costs about 9 µs, and preparing one request
made six of them. The package's requests have no query parameters of their
own (their URLs are ready), so :func:`prepare_plainly` skips that merge and
merges the headers with a plain ``CaseInsensitiveDict`` update; everything
else (netrc credentials, auth, cookies, hooks, the body) goes through the
same requests functions as ``prepare_request``. A request or session with
parameters or cookies of its own is prepared by requests itself.

Before the first plain preparation, two requests are prepared both ways and
compared (:func:`agrees_with_requests`); if anything differs (a newer
requests than this package knows), every request is prepared by requests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from requests.cookies import RequestsCookieJar, merge_cookies
from requests.sessions import merge_hooks, merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth
from urllib3._collections import HTTPHeaderDict

__all__ = ["agrees_with_requests", "merge_headers", "prepare_plainly"]

Preparation = Callable[[requests.Session, requests.Request], requests.PreparedRequest]


def merge_headers(request_headers: Any, session_headers: Any) -> Any:
    """``merge_setting(request_headers, session_headers, CaseInsensitiveDict)``:
    the session's headers updated with the request's, a ``None`` value
    removing the header."""
    if not (
        isinstance(request_headers, Mapping) and isinstance(session_headers, Mapping)
    ):
        return merge_setting(  # type: ignore[no-untyped-call]
            request_headers, session_headers, dict_class=CaseInsensitiveDict
        )
    # Read through items(), as requests does: a mapping with several values
    # for one name (urllib3's HTTPHeaderDict, Starlette's Headers) gives its
    # last one, where keys() and [] would give them joined, or the first.
    merged: CaseInsensitiveDict[Any] = CaseInsensitiveDict(
        list(session_headers.items())
    )
    merged.update(list(request_headers.items()))
    for name in [name for name, value in merged.items() if value is None]:
        del merged[name]
    return merged


def _prepare(
    session: requests.Session, request: requests.Request
) -> requests.PreparedRequest:
    """``prepare_request`` for a request whose session and self have no
    query parameters or cookies of their own."""
    auth = request.auth
    if session.trust_env and not auth and not session.auth:
        auth = get_netrc_auth(request.url)
    prepared = requests.PreparedRequest()
    prepared.prepare(
        method=request.method.upper(),  # as requests does: bytes too
        url=request.url,
        files=request.files,
        data=request.data,
        json=request.json,
        headers=merge_headers(request.headers, session.headers),
        params=None,  # what the merge of two empty mappings encodes to
        auth=merge_setting(auth, session.auth),  # type: ignore[no-untyped-call]
        cookies=merge_cookies(RequestsCookieJar(), session.cookies),  # type: ignore[no-untyped-call]
        hooks=merge_hooks(request.hooks, session.hooks),  # type: ignore[no-untyped-call]
    )
    return prepared


def _described(prepared: requests.PreparedRequest) -> tuple[Any, ...]:
    return (
        prepared.method,
        prepared.url,
        list(prepared.headers.items()),
        prepared.body,
        {event: list(hooks) for event, hooks in prepared.hooks.items()},
        sorted(prepared._cookies.items()),  # type: ignore[attr-defined]
    )


def agrees_with_requests(prepare: Preparation) -> bool:
    """Whether ``prepare`` gives what ``requests.Session.prepare_request``
    gives (and raises nothing) for a session with headers, a cookie, auth
    and a hook, and two requests: a form with headers of its own (one
    removing a session header), and a bytes method with a header given
    twice."""

    def hook(response: requests.Response, **_kwargs: Any) -> None:
        return None

    repeated = HTTPHeaderDict()
    repeated.add("X-Twice", "1")
    repeated.add("X-Twice", "2")
    samples = [
        requests.Request(
            "post",
            "https://site.example/api/authorize?app_id=1",
            headers={"x-session": "request", "X-Dropped": None, "X-Own": "3"},
            data="app_id=1&auth_key=2",
            hooks={"response": [hook]},
        ),
        requests.Request(
            b"get",  # requests takes a bytes method too
            "https://site.example/api/get_user_info?access_token=t",
            headers=repeated,
        ),
    ]
    session = requests.Session()
    try:
        session.headers.update({"X-Session": "1", "X-Dropped": "2"})
        session.cookies.set("visit", "1", domain="site.example", path="/")
        session.auth = HTTPBasicAuth("user", "pass")
        session.hooks["response"].append(hook)
        for request in samples:
            try:
                standard = requests.Session.prepare_request(session, request)
                candidate = prepare(session, request)
            except Exception:  # a requests release whose helpers take other inputs
                return False
            if _described(candidate) != _described(standard):
                return False
        return True
    finally:
        session.close()


@functools.cache
def _plain_preparation() -> Preparation | None:
    """The plain preparation, once it is shown to agree with requests'."""
    return _prepare if agrees_with_requests(_prepare) else None


def prepare_plainly(
    session: requests.Session, request: requests.Request
) -> requests.PreparedRequest | None:
    """``request`` prepared for ``session`` as ``prepare_request`` would,
    without the merges that have nothing to merge; None when requests must
    prepare it itself (parameters or cookies to merge, or a requests
    release that prepares differently)."""
    if request.params or session.params or request.cookies:
        return None
    prepare = _plain_preparation()
    return None if prepare is None else prepare(session, request)
