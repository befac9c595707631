"""The fake site, pinned to docs/provider.rst: what real Sngine servers do."""

from __future__ import annotations

import contextlib
import html
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from authlib_cashsocial._sngine import MESSAGE_INVALID_AUTH_KEY
from authlib_cashsocial.testing import (
    FakeProviderServer,
    FakeSite,
    FakeSngine,
    HugeBody,
    JSONBody,
    ThreadedWSGIServer,
)


def _key(site: FakeSite, user: str = "alice") -> str:
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    callback = site.browser.log_in(
        url, username=user, password=site.users[user].password
    )
    assert callback is not None
    return callback.rsplit("auth_key=", 1)[1]


def _exchange(
    site: FakeSite, key: str, *, method: str = "POST", secret: str | None = None
):
    params = {
        "app_id": site.app.app_id,
        "app_secret": secret or site.app.app_secret,
        "auth_key": key,
    }
    url = f"{site.base_url}/api/authorize"
    if method == "POST":
        return requests.post(url, data=params, timeout=5)
    return requests.get(url, params=params, timeout=5)


def test_token_is_32_hex_and_nothing_else(site: FakeSite):
    resp = _exchange(site, _key(site))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"access_token"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["access_token"])


@pytest.mark.parametrize(
    ("release", "reads"),
    [("4.2", "POST"), ("4.0.4", "POST"), ("4.0.3", "GET"), ("2.7", "GET")],
)
def test_generations_read_one_place(site: FakeSite, release, reads):
    site.fake.release = release
    key = _key(site)
    wrong = "GET" if reads == "POST" else "POST"
    refused = _exchange(site, key, method=wrong)
    assert refused.status_code == 200
    assert refused.json() == {"error": True, "message": "Bad Request, invalid app_id"}
    # The refusal consumed nothing: the right place still works with that key.
    assert "access_token" in _exchange(site, key, method=reads).json()


def test_errors_are_http_200_with_literal_messages(site: FakeSite):
    # As real 2.7 and 3.13 servers send them (tests/real_sngine/): each
    # literal message with its "Bad Request, " prefix.
    key = _key(site)
    assert _exchange(site, key, secret="nope").json() == {
        "error": True,
        "message": "Bad Request, invalid app_secret",
    }
    assert _exchange(site, "0" * 32).json()["message"] == (
        "Bad Request, invalid auth_key"
    )
    info = requests.get(
        f"{site.base_url}/api/get_user_info", params={"access_token": "x"}, timeout=5
    )
    assert (info.status_code, info.json()["message"]) == (
        200,
        "Bad Request, invalid access_token",
    )
    other = requests.get(f"{site.base_url}/api/get_friends", timeout=5)
    assert other.json() == {"error": True, "message": "Bad Request, invalid parameters"}


@pytest.mark.parametrize("app_id", ["999", "abc"])
def test_unknown_app_id_answers_the_sites_sorry_text(site: FakeSite, app_id):
    answer = requests.post(
        f"{site.base_url}/api/authorize",
        data={"app_id": app_id, "app_secret": "s", "auth_key": "k"},
        timeout=5,
    )
    assert answer.json() == {
        "error": True,
        "message": "We're sorry, but the application you're trying to use "
        "doesn't exist or has been disabled",
    }


def test_auth_key_is_single_use_and_replaced_by_a_new_visit(site: FakeSite):
    first = _key(site)
    second = _key(site)  # already approved: immediate redirect, fresh key
    assert first != second
    assert _exchange(site, first).json()["message"] == MESSAGE_INVALID_AUTH_KEY
    assert "access_token" in _exchange(site, second).json()
    assert _exchange(site, second).json()["message"] == MESSAGE_INVALID_AUTH_KEY


def test_token_lives_60_seconds_and_is_reused_inside_that_window(site: FakeSite):
    token = _exchange(site, _key(site)).json()["access_token"]
    site.fake.clock.advance(30)
    assert _exchange(site, _key(site)).json()["access_token"] == token
    info = requests.get(
        f"{site.base_url}/api/get_user_info", params={"access_token": token}, timeout=5
    )
    assert info.json()["user_info"]["user_name"] == "alice"
    site.fake.clock.advance(31)
    expired = requests.get(
        f"{site.base_url}/api/get_user_info", params={"access_token": token}, timeout=5
    )
    assert expired.json() == {
        "error": True,
        "message": "Bad Request, expired access_token",
    }
    assert _exchange(site, _key(site)).json()["access_token"] != token


def test_redirect_is_string_joined(site: FakeSite):
    site.app.redirect_url = "https://app.example/cb?next=/home"
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    callback = site.browser.log_in(url, username="bob", password="builder")
    assert re.fullmatch(
        r"https://app\.example/cb\?next=/home\?auth_key=[0-9a-f]{32}", callback
    )


def test_cancel_sends_nothing_to_the_app(site: FakeSite):
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    assert (
        site.browser.log_in(url, username="bob", password="builder", approve=False)
        is None
    )
    assert site.fake.issued_auth_key(site.users["bob"], site.app) is None


def test_cancel_lands_on_the_home_page_which_explains_and_links_back(site: FakeSite):
    """As on a real site, "Cancel" leads to the site's home page and the app
    hears nothing; the fake says so and links back to the app."""
    site.app.redirect_url = "http://127.0.0.1:5000/cashsocial/auth/?from=demo"
    browser = requests.Session()
    browser.cookies.set(*site.fake.sign_in_cookie(site.users["bob"]))
    consent = browser.get(
        f"{site.base_url}/api/oauth?app_id={site.app.app_id}", timeout=5
    )
    assert "<title>Log in With Cash Social Network</title>" in consent.text
    cancel = re.search(r'<a href="([^"]+)" class="btn', consent.text).group(1)
    home = browser.get(html.unescape(cancel), timeout=5)
    assert home.status_code == 200
    assert urlsplit(home.url).path == "/"  # the site's home page
    assert "sends the app <b>nothing</b>" in home.text
    assert 'id=back href="http://127.0.0.1:5000/"' in home.text
    assert site.fake.requests_to("api/authorize") == []
    # an ordinary visit to the home page shows no such notice
    assert "id=cancelled" not in browser.get(site.base_url + "/", timeout=5).text


def _signed_in_browser(site: FakeSite, user: str = "alice") -> requests.Session:
    browser = requests.Session()
    browser.cookies.set(*site.fake.sign_in_cookie(site.users[user]))
    return browser


@pytest.mark.parametrize("app_id", ["nope", "999", ""])
def test_oauth_signed_out_shows_the_sign_in_page_whatever_the_app_id(
    site: FakeSite, app_id
):
    # As on real 2.7 and 3.13: the app is only checked after signing in.
    resp = requests.get(
        f"{site.base_url}/api/oauth", params={"app_id": app_id}, timeout=5
    )
    assert (resp.status_code, resp.headers["content-type"]) == (
        200,
        "text/html; charset=UTF-8",
    )
    assert 'data-url="core/signin.php"' in resp.text


def test_oauth_signed_in_unknown_app_gets_the_sites_error_page(site: FakeSite):
    resp = _signed_in_browser(site).get(
        f"{site.base_url}/api/oauth", params={"app_id": "999"}, timeout=5
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "doesn&#x27;t exist or has been disabled" in resp.text


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("api/", False), ("api/x/deeper", False), ("api/oauth", True), ("nobody", False)],
)
def test_the_sites_404_page(site: FakeSite, path, signed_in):
    http = _signed_in_browser(site) if signed_in else requests.Session()
    resp = http.get(f"{site.base_url}/{path}", timeout=5)
    assert resp.status_code == 404
    assert resp.reason == "Not Found"
    assert resp.headers["content-type"] == "text/html; charset=UTF-8"
    assert "Oops! Page Not Be Found" in resp.text


@pytest.mark.parametrize(
    ("release", "cookies"),
    [("2.7", {"PHPSESSID"}), ("3.13", {"PHPSESSID", "user_session"})],
)
def test_every_api_answer_sets_session_cookies(site: FakeSite, release, cookies):
    # So that a test catches a client that keeps them and sends them back.
    site.fake.release = release
    for answer in (
        requests.get(f"{site.base_url}/api/get_user_info", timeout=5),
        _exchange(site, "0" * 32, method="GET"),
        requests.get(f"{site.base_url}/api/nothing", timeout=5),
    ):
        assert set(answer.cookies.keys()) == cookies
        assert answer.headers["Cache-Control"] == "no-store, no-cache, must-revalidate"
    lasting = requests.get(f"{site.base_url}/api/nothing", timeout=5).raw.headers
    user_session = [c for c in lasting.getlist("Set-Cookie") if "user_session" in c]
    if release == "3.13":
        (cookie,) = user_session
        assert "Max-Age=2592000" in cookie
        assert "SameSite=Lax" in cookie
    else:
        assert user_session == []


def test_a_client_that_sends_the_cookies_back_gets_no_new_ones(site: FakeSite):
    with requests.Session() as http:
        first = http.get(f"{site.base_url}/api/nothing", timeout=5)
        again = http.get(f"{site.base_url}/api/nothing", timeout=5)
    assert "PHPSESSID" in first.cookies
    assert "Set-Cookie" not in again.headers
    assert "PHPSESSID=" in again.request.headers["Cookie"]


def test_first_approval_is_an_xhr_answered_with_json_later_visits_redirect(
    site: FakeSite,
):
    browser = _signed_in_browser(site, "bob")
    oauth = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    consent = browser.get(oauth, allow_redirects=False, timeout=5)
    assert consent.status_code == 200
    assert f'data-id="{site.app.app_id}"' in consent.text
    approve = f"{site.base_url}/includes/ajax/developers/app.php"
    form = {"do": "oauth", "id": site.app.app_id}
    # Without X-Requested-With the site sends the browser home.
    assert browser.post(approve, data=form, allow_redirects=False).status_code == 302
    answer = browser.post(
        approve, data=form, headers={"X-Requested-With": "XMLHttpRequest"}, timeout=5
    )
    assert answer.headers["content-type"] == "application/json"
    (redirect_url,) = answer.json().values()
    assert re.fullmatch(
        re.escape(site.app.redirect_url) + r"\?auth_key=[0-9a-f]{32}", redirect_url
    )
    assert "Location" not in answer.headers
    later = browser.get(oauth, allow_redirects=False, timeout=5)
    assert later.status_code == 302
    assert later.headers["Location"].startswith(site.app.redirect_url + "?auth_key=")
    assert later.headers["Location"] != redirect_url  # a fresh key


def test_approving_signed_out_asks_to_sign_in(site: FakeSite):
    answer = requests.post(
        f"{site.base_url}/includes/ajax/developers/app.php",
        data={"do": "oauth", "id": site.app.app_id},
        headers={"X-Requested-With": "XMLHttpRequest"},
        timeout=5,
    )
    assert answer.json() == {"callback": "modal('#modal-login')"}


@pytest.mark.parametrize(("release", "redirects"), [("2.7", False), ("3.13", True)])
def test_the_first_visit_after_signing_in(site: FakeSite, release, redirects):
    # 3.13 sends the browser back to the page that asked it to sign in.
    site.fake.release = release
    oauth = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    with requests.Session() as browser:
        browser.get(oauth, timeout=5)  # the sign-in page
        signed_in = browser.post(
            f"{site.base_url}/includes/ajax/core/signin.php",
            data={"username_email": "bob", "password": "builder"},
            headers={"X-Requested-With": "XMLHttpRequest"},
            timeout=5,
        )
        assert signed_in.json() == {"callback": "window.location.reload();"}
        assert {"c_user", "xs"} <= set(signed_in.cookies.keys())
        first = browser.get(oauth, allow_redirects=False, timeout=5)
    if redirects:
        assert (first.status_code, first.headers["Location"]) == (302, oauth)
    else:
        assert first.status_code == 200
        assert "js_developers-oauth-app" in first.text


@pytest.mark.parametrize("release", ["2.7", "3.13"])
def test_wrong_password_is_a_json_error(site: FakeSite, release):
    site.fake.release = release
    resp = requests.post(
        f"{site.base_url}/includes/ajax/core/signin.php",
        data={"username_email": "alice", "password": "x"},
        headers={"X-Requested-With": "XMLHttpRequest"},
        timeout=5,
    )
    assert resp.status_code == 200
    assert resp.json()["error"] is True
    assert "The password you entered is incorrect" in resp.json()["message"]
    assert "c_user" not in resp.cookies


def test_the_scripted_browser_reports_a_refused_sign_in(site: FakeSite):
    url = f"{site.base_url}/api/oauth?app_id={site.app.app_id}"
    with pytest.raises(RuntimeError, match="password you entered is incorrect"):
        site.browser.log_in(url, username="alice", password="nope")


@pytest.mark.parametrize(
    ("release", "gender", "picture"),
    [
        ("2.7", "female", "blank_profile_female.jpg"),  # even with a picture
        ("3.0", "Female", "blank_profile.png"),
        ("3.13", "Female", "photos/2024/05/alice.jpg"),
        ("4.2", "Female", "photos/2024/05/alice.jpg"),
    ],
)
def test_user_info_row_per_release(site: FakeSite, release, gender, picture):
    site.fake.release = release
    row = site.fake.user_info_row(site.users["alice"], site.base_url)
    assert all(v is None or isinstance(v, str) for v in row.values())
    assert row["user_gender"] == gender
    assert row["profile_picture"].endswith(picture)
    assert row["profile_picture"].startswith(site.base_url)
    assert row["user_verified"] == "1"
    assert row["profile_cover"].endswith("/content/uploads/")


def test_missing_user_row_gives_empty_list(site: FakeSite):
    token = _exchange(site, _key(site, "bob")).json()["access_token"]
    del site.fake.users["bob"]
    info = requests.get(
        f"{site.base_url}/api/get_user_info", params={"access_token": token}, timeout=5
    )
    assert info.json() == []


def test_injected_fault_consumes_nothing(site: FakeSite):
    key = _key(site)
    site.fake.inject("api/authorize", JSONBody({"weird": True}))
    assert _exchange(site, key).json() == {"weird": True}
    assert "access_token" in _exchange(site, key).json()


def test_connections_are_kept_alive(site: FakeSite):
    with requests.Session() as http:
        for _ in range(3):
            http.get(f"{site.base_url}/api/nothing", timeout=5)
    ports = {r.remote_port for r in site.fake.requests_to("api/nothing")}
    assert len(ports) == 1


def test_request_log_records_method_query_and_form(site: FakeSite):
    _exchange(site, "k" * 32)
    (entry,) = site.fake.requests_to("api/authorize")
    assert entry.method == "POST"
    assert entry.form["auth_key"] == ["k" * 32]
    assert entry.param("app_id") == site.app.app_id


def test_unknown_release_is_refused():
    with pytest.raises(ValueError, match="release"):
        FakeSngine(release="9.9")


def test_server_closes_idle_keep_alive_connections():
    server = FakeProviderServer().start()
    http = requests.Session()
    http.get(f"{server.base_url}/", timeout=5)
    server.close()  # returns although a keep-alive connection is open
    with pytest.raises(requests.ConnectionError):
        http.get(f"{server.base_url}/", timeout=5)
    http.close()


@pytest.mark.parametrize(
    ("release", "mixes_users", "bob_sees"),
    [("2.7", None, "alice"), ("2.7", False, "bob"), ("3.13", None, "bob")],
)
def test_sngine_2_mixes_users_up(site: FakeSite, release, mixes_users, bob_sees):
    """2.7's authorize_app writes each new token into every approval row (an
    UPDATE without WHERE) and get_user_info answers the first row holding
    it: bob, logging in after alice within the token's minute, is given
    alice's profile, and no client can tell. 3.13 has the WHERE."""
    from authlib_cashsocial import CashSocialSession

    site.fake.release = release
    site.fake.mixes_users = mixes_users
    seen = []
    for user in ("alice", "bob"):
        with CashSocialSession(
            site.app.app_id, site.app.app_secret, base_url=site.base_url
        ) as session:
            url, _ = session.create_authorization_url()
            callback = site.browser.log_in(
                url, username=user, password=site.users[user].password
            )
            session.fetch_token(authorization_response=callback)
            seen.append(session.userinfo()["preferred_username"])
    assert seen == ["alice", bob_sees]


def test_the_scripted_browser_keeps_one_cookie_jar_per_member(site: FakeSite):
    """Logging in as bob after alice, in one test, logs bob in: a shared
    cookie jar would still be signed in as alice and return her callback."""
    from authlib_cashsocial import CashSocialSession

    subs = []
    for user in ("alice", "bob", "alice"):
        with CashSocialSession(
            site.app.app_id, site.app.app_secret, base_url=site.base_url
        ) as session:
            url, _ = session.create_authorization_url()
            callback = site.browser.log_in(
                url, username=user, password=site.users[user].password
            )
            session.fetch_token(authorization_response=callback)
            subs.append(session.userinfo()["sub"])
    assert subs == ["101", "102", "101"]
    # alice's second login went straight through (already approved, signed in)
    assert len(site.fake.requests_to("includes/ajax/core/signin.php")) == 2


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return True
    return False


def test_closing_a_server_lets_the_request_being_served_finish():
    # close() stops listening at once, then waits (worker_grace) for the
    # request still running, which ends with its answer.
    held = _HeldApp()
    server = ThreadedWSGIServer(held).start()
    outcome: list[object] = []

    def visit() -> None:
        outcome.append(requests.get(server.base_url, timeout=60))

    visitor = threading.Thread(target=visit)
    visitor.start()
    assert held.entered.wait(60)
    closer = threading.Thread(target=server.close)
    closer.start()
    deadline = time.monotonic() + 30
    while not _refuses_connections(server.port):
        assert time.monotonic() < deadline, "still listening after close()"
        time.sleep(0.01)
    assert closer.is_alive(), "close() did not wait for the request"
    held.release.set()
    closer.join(60)
    visitor.join(60)
    assert not closer.is_alive()
    (answer,) = outcome
    assert isinstance(answer, requests.Response)
    assert answer.text == "late"


def test_a_closed_server_and_its_app_are_freed():
    import gc
    import weakref

    app = _HeldApp()
    app.release.set()
    server = ThreadedWSGIServer(app).start()
    requests.get(server.base_url, timeout=30).close()
    server.close()
    refs = [weakref.ref(app), weakref.ref(server)]
    del app, server
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


def test_closing_a_server_twice_does_nothing_more():
    server = ThreadedWSGIServer(_hello).start()
    requests.get(server.base_url, timeout=30).close()
    server.close()
    server.close()
    assert _refuses_connections(server.port)


def test_a_request_that_outlives_the_grace_does_not_hold_close():
    held = _HeldApp()
    server = ThreadedWSGIServer(held, worker_grace=0.2).start()
    visitor = threading.Thread(target=_visit_quietly, args=(server.base_url,))
    visitor.start()
    assert held.entered.wait(60)
    started = time.monotonic()
    server.close()  # returns after the grace, the request still running
    assert time.monotonic() - started < 10
    assert visitor.is_alive()
    held.release.set()  # it ends on its own, with nothing closed under it
    visitor.join(60)
    assert not visitor.is_alive()


def test_closing_a_server_does_not_wait_out_a_slow_reader():
    # A client that reads nothing holds the worker writing a big answer (the
    # server streams at the client's pace); close() returns after the grace.
    fake = FakeSngine()
    fake.inject("api/authorize", HugeBody(size=1024**3))
    server = ThreadedWSGIServer(fake, worker_grace=0.5).start()
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.settimeout(30)
    reader.connect(("127.0.0.1", server.port))
    try:
        reader.sendall(b"GET /api/authorize HTTP/1.1\r\nHost: site\r\n\r\n")
        assert reader.recv(1).startswith(b"H")  # the answer has started
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 10
    finally:
        reader.close()  # the worker's next write fails: it ends quietly


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def _visit_quietly(url: str) -> None:
    with contextlib.suppress(requests.RequestException):
        requests.get(url, timeout=60)


class _HeldApp:
    """A WSGI app whose request waits until the test releases it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.entered.set()
        self.release.wait(60)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]
