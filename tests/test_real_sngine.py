"""The fake site, replayed against what real Sngine servers answered.

``tests/real_sngine/`` holds the answers of Sngine 2.7 and 3.13 (the code the
Cash Social Network site runs), recorded on loopback scenario by scenario
(see its README). This test plays the same requests, in the same order,
against the fake site of the same release and compares what a client can
see: the status, the content type, the JSON body (parsed and as written),
the kind of HTML page and its facts, the cookies set and their attributes,
the cookies the browser sent back, the ``Location``'s shape and the PHP
session headers. So the fake cannot drift from the real servers unnoticed.

What the fake does not copy is listed in ``IGNORED_FACTS`` and
``IGNORED_HEADERS``, each with its reason.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from authlib_cashsocial import (
    AccessTokenExpiredError,
    AccessTokenInvalidError,
    AuthKeyRejectedError,
    ClientCredentialsError,
    ProviderError,
)
from authlib_cashsocial._responses import error_from_message
from authlib_cashsocial.testing import (
    FakeApp,
    FakeProviderServer,
    FakeSngine,
    FakeUser,
)

RECORDINGS = Path(__file__).parent / "real_sngine"
TRANSCRIPTS = {
    json.loads(path.read_text())["server"]["version"]: path
    for path in sorted(RECORDINGS.glob("sngine-*.json"))
}
APP_ID = "31337"
APP_SECRET = "0f" * 16
WRONG_HEX = "e" * 32
PASSWORD = "correct horse"
REDIRECT_URL = "http://127.0.0.1:9/login/callback"
# Facts of the recorded pages that the fake leaves out, with the reason.
IGNORED_FACTS = (
    # The fake has no sign-up: its sign-in page is the sign-in form alone.
    "sign-up form ",
    "link to <base_url>/signup",
    # The fake's Cancel adds ?cancelled=APP_ID, so that its home page can
    # explain that the app hears nothing (docs/testing.rst).
    "Cancel is a plain link to ",
)
# Checked headers: PHP's session headers. Not checked: what belongs to PHP's
# built-in server the recording ran on (Connection, Content-Length,
# X-Powered-By, the HTTP/1.0 of its 404 pages), which Apache or nginx change.
CHECKED_HEADERS = ("Cache-Control", "Expires", "Pragma")


def _transcript(version: str) -> dict[str, Any]:
    return json.loads(TRANSCRIPTS[version].read_text())  # type: ignore[no-any-return]


def test_the_recordings_are_here():
    assert set(TRANSCRIPTS) == {"2.7", "3.13"}


# ---------------------------------------------------------------- the replay


class Replay:
    """One run of a transcript against a fake site of its release."""

    def __init__(self, transcript: dict[str, Any], base_url: str) -> None:
        self.base = base_url
        agents = transcript["user_agents"]
        self.agents = {"app": agents["app"], "visitor": agents["visitor and browser"]}
        self.browser = requests.Session()
        self.browser.headers["User-Agent"] = self.agents["visitor"]
        self.keys: list[str] = []  # auth_keys, as the site hands them out
        self.tokens: list[str] = []  # access_tokens, as exchanges return them
        self.exchanged_key = ""

    def close(self) -> None:
        self.browser.close()

    # -- the placeholders of a request
    def value(self, shown: str) -> str:
        known = {
            "<app_id>": APP_ID,
            "<app_secret>": APP_SECRET,
            "<wrong 32 hex>": WRONG_HEX,
            "<username>": "alice",
            "<password>": PASSWORD,
            "<wrong password>": "not " + PASSWORD,
        }
        if shown in known:
            return known[shown]
        if shown in ("<auth_key>", "<auth_key sent by HEAD>"):
            return self.keys[-1]
        if shown == "<auth_key already used>":
            return self.exchanged_key
        if shown == "<auth_key replaced by a newer visit>":
            return self.keys[-2]
        if shown in ("<access_token>", "<expired access_token>"):
            return self.tokens[-1]
        if shown == "<replaced access_token>":
            return self.tokens[-2]
        assert "<" not in shown, f"unknown placeholder {shown}"
        return shown

    def send(self, request: dict[str, Any]) -> requests.Response:
        client = request["client"]
        session = self.browser if client == "browser" else requests.Session()
        if client != "browser":
            session.headers["User-Agent"] = self.agents[client]
        try:
            return session.request(
                request["method"],
                self.base + request["path"],
                params=[(k, self.value(v)) for k, v in request["query"].items()]
                or None,
                data=[(k, self.value(v)) for k, v in request["form"].items()] or None,
                headers=request.get("headers", {}),
                allow_redirects=False,
                timeout=10,
            )
        finally:
            if session is not self.browser:
                session.close()

    def approved_visit(self) -> None:
        """What the recorder did between scenarios without recording it: an
        /api/oauth visit of the signed-in browser, for a new auth_key."""
        answer = self.browser.get(
            f"{self.base}/api/oauth",
            params={"app_id": APP_ID},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302
        self.learn_key(answer.headers["Location"])

    def learn_key(self, url: str) -> None:
        self.keys.append(parse_qs(urlsplit(url).query)["auth_key"][0])


def _cookies_of(answer: requests.Response) -> list[dict[str, Any]]:
    """The Set-Cookie headers as the recorder describes them."""
    out = []
    for header in answer.raw.headers.getlist("Set-Cookie"):
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        attrs: dict[str, Any] = {}
        for part in parts[1:]:
            key, eq, val = part.partition("=")
            attrs[key.strip().lower()] = val.strip() if eq else True
        out.append(
            {
                "name": name.strip(),
                "value": _value_shape(value),
                "Path": attrs.get("path"),
                "Domain": attrs.get("domain"),
                "HttpOnly": "httponly" in attrs,
                "Secure": "secure" in attrs,
                "SameSite": attrs.get("samesite"),
                "Max-Age": attrs.get("max-age"),
                "Expires": "expires" in attrs,
            }
        )
    return sorted(out, key=lambda c: str(c["name"]))


def _value_shape(value: str) -> str:
    if value == "":
        return "<empty>"
    if re.fullmatch(r"[0-9a-f]{32}", value):
        return "<32 lowercase hex>"
    if value.isdigit():
        return "<digits>"
    if re.fullmatch(r"[a-z0-9]+", value):
        return f"<{len(value)} chars [a-z0-9]>"
    return f"<{len(value)} chars>"


def _pattern(expected: str, base: str, *, escaped_slashes: bool = False) -> str:
    """A regular expression for a recorded text with placeholders."""

    def literal(text: str) -> str:
        return re.escape(text.replace("/", "\\/") if escaped_slashes else text)

    values = {
        "<base_url>": literal(base),
        "<redirect_url>": literal(REDIRECT_URL),
        "<app_id>": literal(APP_ID),
        "<32 lowercase hex>": "[0-9a-f]{32}",
        "<YYYY-MM-DD HH:MM:SS>": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
        "<user_name>": "alice",
    }
    pieces = re.split(r"(<[^<>]+>)", expected)
    return "".join(values.get(p, re.escape(p)) for p in pieces)


def _matches(expected: Any, actual: Any, base: str) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return re.fullmatch(_pattern(expected, base), actual) is not None
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _matches(expected[k], actual[k], base) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _matches(e, a, base) for e, a in zip(expected, actual, strict=True)
        )
    return type(expected) is type(actual) and expected == actual


def _page_facts(text: str, base: str) -> dict[str, Any]:
    """Title, kind and facts of an HTML page, read as the recorder reads it
    (shared/real-sngine/record.py's html_facts, the parts the fake shows)."""

    def plain(fragment: str) -> str:
        return re.sub(
            r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))
        ).strip()

    def attr(attrs: str, name: str) -> str | None:
        m = re.search(rf'\b{re.escape(name)}\s*=\s*"([^"]*)"', attrs)
        return m.group(1) if m else None

    def scrub(value: str) -> str:
        return value.replace(base, "<base_url>").replace(APP_ID, "<app_id>")

    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.S | re.I)
    page = re.sub(r"<script\b.*?</script>", " ", text, flags=re.S | re.I)
    page = re.sub(r"<style\b.*?</style>", " ", page, flags=re.S | re.I)
    facts: list[str] = []
    gen = re.search(r'<meta name="generator" content="([^"]*)"', text)
    ver = re.search(r'<meta name="version" content="([^"]*)"', text)
    if gen or ver:
        facts.append(
            f'meta generator "{gen.group(1) if gen else ""}", '
            f'version "{ver.group(1) if ver else ""}"'
        )
    facts.append(
        "full site layout (the site's header, scripts and templates)"
        if "var site_path" in text
        else "standalone page without the site layout"
    )
    if f'href="{base}/alice"' in text:
        facts.append("shows the signed-in user (links to <base_url>/<user_name>)")
    kind = "other page"
    for m in re.finditer(r"<form\b([^>]*)>(.*?)</form>", page, re.S | re.I):
        if attr(m.group(1), "data-url") != "core/signin.php":
            continue
        kind = "sign-in page"
        fields = []
        for im in re.finditer(r"<(input|select|textarea)\b([^>]*)>", m.group(2), re.I):
            name = attr(im.group(2), "name")
            if name and name not in fields:
                fields.append(name)
        method = (attr(m.group(1), "method") or "").upper()
        facts.append(
            "sign-in form posting by XHR to includes/ajax/core/signin.php"
            + (f" (method {method})" if method else " (no method attribute)")
            + f"; fields: {', '.join(fields)}"
        )
    button = re.search(
        r'<button\b([^>]*class="[^"]*js_developers-oauth-app[^"]*"[^>]*)>(.*?)</button>',
        page,
        re.S,
    )
    if button:
        kind = "consent page"
        app = re.search(r'<h3[^>]*>\s*<span class="text-primary">([^<]*)</span>', page)
        if app:
            facts.append(f'app name "{plain(app.group(1))}"')
        if "Will receive your:" in page:
            badges = re.findall(
                r'<span class="badge (?:bg-info|badge-info)">([^<]*)</span>', page
            )
            facts.append(f'"Will receive your:" {", ".join(plain(b) for b in badges)}')
        facts.append(
            "approve button (class js_developers-oauth-app) "
            f'data-id="{scrub(attr(button.group(1), "data-id") or "")}", '
            f'text "{scrub(plain(button.group(2)))}"; it posts by XHR to '
            "includes/ajax/developers/app.php (do=oauth, id)"
        )
    error_title = re.search(r'<div class="error-title">(.*?)</div>', page, re.S)
    error_message = re.search(r'<div class="error-message">(.*?)</div>', page, re.S)
    if error_title or error_message:
        kind = "error page"
        facts.append(
            f'error title "{plain(error_title.group(1)) if error_title else ""}", '
            f'message "{plain(error_message.group(1)) if error_message else ""}"'
        )
    not_found = re.search(r'<div class="notfound">(.*?)</a>', page, re.S)
    if not_found:
        kind = "not-found page"
        h1 = re.search(r"<h1>(.*?)</h1>", not_found.group(1), re.S)
        h2 = re.search(r"<h2>(.*?)</h2>", not_found.group(1), re.S)
        p = re.search(r"<p\b[^>]*>(.*?)</p>", not_found.group(1), re.S)
        facts.append(
            f'h1 "{plain(h1.group(1)) if h1 else ""}", '
            f'h2 "{plain(h2.group(1)) if h2 else ""}"'
        )
        if p:
            facts.append(f'text "{scrub(plain(p.group(1)))}"')
    facts.insert(0, kind)
    return {"title": plain(title.group(1)) if title else None, "facts": facts}


def _shown_facts(facts: list[str]) -> list[str]:
    return [f for f in facts if not f.startswith(IGNORED_FACTS)]


# What the recorder did between two scenarios without recording it.
def _before(replay: Replay, fake: FakeSngine, scenario_id: str) -> None:
    if scenario_id in (
        "authorize_second_exchange_within_60s",
        "head_authorize",
        "authorize_after_expiry",
    ):
        replay.approved_visit()
    elif scenario_id == "authorize_replaced_key":
        replay.approved_visit()  # the key that the next visit replaces
        replay.approved_visit()
    elif scenario_id == "get_user_info_expired_token":
        fake.clock.advance(120)  # the recorder aged the token's row 120 s


# What the replay learns from an answer, for the next requests' placeholders.
def _after(replay: Replay, scenario: dict[str, Any], answer: requests.Response) -> None:
    location = answer.headers.get("Location", "")
    if "auth_key=" in location:
        replay.learn_key(location)
    is_json = "json" in answer.headers.get("Content-Type", "")
    body = answer.json() if is_json and answer.content else None
    if isinstance(body, dict) and isinstance(body.get("redirect_url"), str):
        replay.learn_key(body["redirect_url"])
    if isinstance(body, dict) and "access_token" in body:
        if body["access_token"] not in replay.tokens:
            replay.tokens.append(body["access_token"])
        replay.exchanged_key = replay.value(scenario["request"]["query"]["auth_key"])


def _observed(replay: Replay, key: str, answer: requests.Response) -> bool:
    """The recorded ``observed`` facts, computed from the fake's answer."""
    if key == "auth_key in Location differs from the one of consent_approve_xhr":
        return replay.keys[-1] != replay.keys[-2]
    if key == "access_token is the one of authorize_get_success":
        return answer.json().get("access_token") == replay.tokens[0]
    if key == "the HEAD request consumed the auth_key":
        return "access_token" not in answer.json()
    if key == "access_token differs from the expired one":
        return answer.json().get("access_token") not in (None, replay.tokens[0])
    raise AssertionError(f"an observed fact this test does not know: {key!r}")


@pytest.fixture(scope="module", params=sorted(TRANSCRIPTS), ids=lambda v: f"sngine-{v}")
def replayed(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, Any], list]]:
    """Each scenario of a transcript with the fake's answer to it."""
    transcript = _transcript(request.param)
    fake = FakeSngine(release=request.param, site_title="Sngine")
    fake.add_app(FakeApp(APP_ID, APP_SECRET, REDIRECT_URL, name="Local Login Client"))
    gender = "female"
    fake.add_user(
        FakeUser(
            user_id=2,
            user_name="alice",
            password=PASSWORD,
            email="alice@example.test",
            firstname="Alice",
            lastname="Liddell",
            gender=gender,
            birthdate="1990-05-17",
            picture="photos/2024/01/sngine_seed_alice.jpg",
            cover="photos/2024/01/sngine_seed_alice_cover.jpg",
            relationship="single",
            biography="Seed user for the local login test",
            website="https://example.test",
        )
    )
    with FakeProviderServer(fake) as server:
        replay = Replay(transcript, server.base_url)
        answers = []
        try:
            for scenario in transcript["scenarios"]:
                _before(replay, fake, scenario["id"])
                answer = replay.send(scenario["request"])
                sent = sorted(
                    c.split("=", 1)[0].strip()
                    for c in (answer.request.headers.get("Cookie") or "").split(";")
                    if c.strip()
                )
                _after(replay, scenario, answer)
                observed = {
                    key: _observed(replay, key, answer)
                    for key in scenario.get("observed", {})
                }
                answers.append((scenario, answer, sent, observed, server.base_url))
            yield transcript, answers
        finally:
            replay.close()


CHECKS: dict[str, Callable[..., None]] = {}


def _check(function: Callable[..., None]) -> Callable[..., None]:
    CHECKS[function.__name__.removeprefix("check_")] = function
    return function


@_check
def check_status(expected: dict, answer: requests.Response, base: str) -> None:
    assert answer.status_code == expected["status"]
    assert answer.reason == expected["reason"]


@_check
def check_content_type(expected: dict, answer: requests.Response, base: str) -> None:
    assert answer.headers.get("Content-Type") == expected["content_type"]


@_check
def check_location(expected: dict, answer: requests.Response, base: str) -> None:
    location = answer.headers.get("Location")
    if expected["location"] is None:
        assert location is None
    else:
        assert location is not None
        assert re.fullmatch(_pattern(expected["location"], base), location), location


@_check
def check_cookies(expected: dict, answer: requests.Response, base: str) -> None:
    want = sorted(expected["set_cookie"]["cookies"], key=lambda c: str(c["name"]))
    assert _cookies_of(answer) == want


@_check
def check_session_headers(expected: dict, answer: requests.Response, base: str) -> None:
    for name in CHECKED_HEADERS:
        assert answer.headers.get(name) == expected["headers"][name], name


@_check
def check_body(expected: dict, answer: requests.Response, base: str) -> None:
    body = expected["body"]
    if body["kind"] == "empty":
        assert answer.content == b""
    elif body["kind"] == "json":
        assert _matches(body["json"], answer.json(), base), answer.text
        raw = _pattern(body["raw"], base, escaped_slashes=True)
        assert re.fullmatch(raw, answer.text), answer.text
    else:
        assert body["kind"] == "html"
        page = _page_facts(answer.text, base)
        assert page["title"] == body["title"]
        assert page["facts"][0] == body["facts"][0]  # the kind of page
        assert _shown_facts(page["facts"]) == _shown_facts(body["facts"])


# The typed error each recorded API message must give (api/ answers only;
# includes/ajax/ messages are the site's, for its own pages).
RECORDED_MESSAGES = {
    "Bad Request, invalid app_id": (ClientCredentialsError, "client_id"),
    "We're sorry, but the application you're trying to use doesn't exist or "
    "has been disabled": (ClientCredentialsError, "client_id"),
    "Bad Request, invalid app_secret": (ClientCredentialsError, "client_secret"),
    "Bad Request, invalid auth_key": (AuthKeyRejectedError, None),
    "Bad Request, invalid access_token": (AccessTokenInvalidError, None),
    "Bad Request, expired access_token": (AccessTokenExpiredError, None),
    "Bad Request, invalid parameters": (ProviderError, None),
}


@pytest.mark.parametrize("version", sorted(TRANSCRIPTS))
def test_each_recorded_api_error_gets_its_typed_error(version):
    seen = set()
    for scenario in _transcript(version)["scenarios"]:
        body = scenario["response"]["body"]
        if not scenario["request"]["path"].startswith("/api/") or not (
            body["kind"] == "json" and body["json"].get("error")
        ):
            continue
        message = body["json"]["message"]
        expected, option = RECORDED_MESSAGES[message]
        error = error_from_message(message)
        assert type(error) is expected, message
        assert getattr(error, "option", None) == option
        assert error.message == message
        seen.add(message)
    assert seen == set(RECORDED_MESSAGES)


def test_every_scenario_is_compared():
    for version in TRANSCRIPTS:
        for scenario in _transcript(version)["scenarios"]:
            assert scenario["request"]["client"] in ("app", "visitor", "browser")
            assert scenario["response"]["body"]["kind"] in ("empty", "json", "html")


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_fake_answers_as_the_real_server(replayed, check):
    transcript, answers = replayed
    failures = []
    for scenario, answer, _, _, base in answers:
        try:
            CHECKS[check](scenario["response"], answer, base)
        except AssertionError as exc:
            failures.append(f"{scenario['id']}: {exc}")
    assert not failures, f"Sngine {transcript['server']['version']}:\n" + "\n".join(
        failures
    )


def test_the_browser_sends_back_what_the_real_site_set(replayed):
    _, answers = replayed
    for scenario, _, sent, _, _ in answers:
        assert sent == scenario["request"]["cookies_sent"], scenario["id"]


def test_what_the_recorder_observed_holds_on_the_fake(replayed):
    _, answers = replayed
    for scenario, _, _, observed, _ in answers:
        assert observed == scenario.get("observed", {}), scenario["id"]
