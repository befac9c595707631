"""The python-social-auth backend in social-core's own conventions, end to end
over real loopback HTTP (browser → Django project → fake site): what an
existing user keeps, ``ID_KEY``, errors inside social-core's families,
``title`` and social-core's HTTP settings, and two Sngine sites side by side."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import socketserver
import ssl
import threading
import time
import wsgiref.simple_server
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from authlib_cashsocial.testing import FakeSite

from .apps import approve_at_site
from .django_stacks import RunningStack, recorded_errors

pytest.importorskip("social_core", reason="the social extra is not installed here")


@pytest.fixture
def stack() -> str:
    """Every test here is about the social-auth backend."""
    return "social"


@pytest.fixture
def social_settings() -> Iterator[Any]:
    """Set Django settings for one test (``social_settings(NAME=value)``),
    put back as they were afterwards."""
    from django.conf import settings

    missing = object()
    saved: dict[str, Any] = {}

    def set_settings(**values: Any) -> None:
        for name, value in values.items():
            saved.setdefault(name, getattr(settings, name, missing))
            setattr(settings, name, value)

    yield set_settings
    for name, value in saved.items():
        if value is missing:
            delattr(settings, name)
        else:
            setattr(settings, name, value)


def last_error() -> Any:
    return recorded_errors()[-1]


def user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


# ------------------------------------------------------------------ 24.1


@pytest.mark.parametrize("firstlast_from_full", [True, False])
def test_an_existing_users_names_survive_a_login(
    site: FakeSite, make_stack, social_settings, firstlast_from_full: bool
):
    """social-core 7 writes every detail that is not None: a name the site
    does not give must be None, or each login blanks the user's own."""
    app: RunningStack = make_stack()
    social_settings(SOCIAL_AUTH_FIRSTLAST_FROM_FULL=firstlast_from_full)
    if not firstlast_from_full:
        site.users["bob"].firstname = None  # no name at all at the site
    assert app.login("bob").status_code == 302
    user = user_model().objects.get(username="bob")
    user.first_name, user.last_name = "Robert", "Builder"  # set in the app
    user.save()
    app.logout()
    assert app.login("bob").status_code == 302
    user.refresh_from_db()
    expected_first = "Bob" if firstlast_from_full else "Robert"
    assert (user.first_name, user.last_name) == (expected_first, "Builder")
    assert user.email == "bob@example.org"


# ------------------------------------------------------------------ 24.2


@pytest.mark.parametrize(
    ("id_key", "uid"), [(None, "101"), ("sub", "101"), ("preferred_username", "alice")]
)
def test_id_key_setting_is_honoured(
    site: FakeSite, make_stack, social_settings, id_key: str | None, uid: str
):
    app = make_stack()
    if id_key is not None:
        social_settings(SOCIAL_AUTH_CASHSOCIAL_ID_KEY=id_key)
    assert app.login().status_code == 302
    assert app.me()["social"]["uid"] == uid


def test_id_key_of_a_missing_claim_is_social_cores_error(
    site: FakeSite, make_stack, social_settings
):
    app = make_stack()
    social_settings(SOCIAL_AUTH_CASHSOCIAL_ID_KEY="website")  # bob has none
    done = app.login("bob")
    assert done.status_code == 502, done.text
    from social_core.exceptions import AuthResponseError

    error = last_error()
    assert isinstance(error, AuthResponseError)
    assert (error.code, error.claim) == ("missing_claim", "website")
    assert app.me() is None


# ------------------------------------------------------------------ 24.3


def test_a_configuration_error_at_login_start_is_social_cores(
    site: FakeSite, make_stack
):
    from social_core.exceptions import AuthConfigurationError

    app = make_stack(token_method="bogus")
    page = app.start_response()
    assert page.status_code == 500, page.text
    assert "Authentication failed" in page.text  # social-app-django's page
    error = last_error()
    assert isinstance(error, AuthConfigurationError)
    assert (error.code, error.stage) == ("invalid_setting", "begin")
    assert error.context["cashsocial_error"] == "invalid_configuration"
    assert error.parameter == "OPTIONS"
    assert "token_method" in error.detail


def test_options_not_a_dict_is_social_cores_error(site: FakeSite, make_stack):
    from social_core.exceptions import AuthConfigurationError

    app = make_stack()
    from django.conf import settings

    settings.SOCIAL_AUTH_CASHSOCIAL_OPTIONS = ["timeout"]
    page = app.start_response()
    assert page.status_code == 500, page.text
    assert isinstance(last_error(), AuthConfigurationError)


class _NonceWithoutConsume:
    """A nonce storage written before social-core had ``consume`` (``use``,
    ``get`` and ``delete`` only)."""

    @classmethod
    def use(cls, server_url: str, timestamp: int, salt: str) -> Any:
        from social_django.models import Nonce

        return Nonce.use(server_url, timestamp, salt)

    @classmethod
    def consume(cls, server_url: str, timestamp: int, salt: str) -> bool:
        from social_core.storage import NonceMixin

        return bool(NonceMixin.consume(server_url, timestamp, salt))


def _storage_without_consume() -> Any:
    from social_django.models import DjangoStorage

    return type(
        "StorageWithoutConsume", (DjangoStorage,), {"nonce": _NonceWithoutConsume}
    )


def _with_views_on_a_storage_without_consume() -> None:
    """``/legacy/login/<backend>/`` and ``/legacy/complete/<backend>/``:
    social-app-django's views on that storage."""
    from django.urls import clear_url_caches, path
    from social_core.actions import do_auth, do_complete
    from social_django.strategy import DjangoStrategy
    from social_django.utils import psa
    from social_django.views import _do_login

    from .apps import DjangoURLs

    def strategy(request: Any = None) -> Any:
        return DjangoStrategy(_storage_without_consume(), request)

    @psa("/legacy/complete/cashsocial/", load_strategy=strategy)
    def begin(request: Any, backend: str) -> Any:
        return do_auth(request.backend, redirect_name="next")

    @psa("/legacy/complete/cashsocial/", load_strategy=strategy)
    def complete(request: Any, backend: str) -> Any:
        return do_complete(
            request.backend, _do_login, user=request.user, redirect_name="next"
        )

    DjangoURLs.urlpatterns = [
        path("legacy/login/<str:backend>/", begin),
        path("legacy/complete/<str:backend>/", complete),
        *DjangoURLs.urlpatterns,
    ]
    clear_url_caches()


def test_a_nonce_storage_without_consume_is_a_configuration_error(
    site: FakeSite, make_stack
):
    """Through SocialAuthExceptionMiddleware: social-app-django's error page
    (500, a configuration error), nothing sent to the site."""
    from social_core.exceptions import AuthConfigurationError

    app = make_stack()
    _with_views_on_a_storage_without_consume()
    start = app.browser.get(
        app.base_url + "/legacy/login/cashsocial/", allow_redirects=False, timeout=10
    )
    assert start.status_code == 302, start.text
    callback = app.at_site(start.headers["Location"])
    legacy = callback.replace("/social/complete/", "/legacy/complete/")
    page = app.callback(legacy)
    assert page.status_code == 500, page.text
    assert "Authentication failed" in page.text
    error = last_error()
    assert isinstance(error, AuthConfigurationError)
    assert (error.code, error.parameter) == ("invalid_setting", "storage.nonce.consume")
    assert error.__cause__ is None
    assert error.__context__ is None
    assert app.exchanges() == 0
    assert app.me() is None


# ------------------------------------------------------------------ 24.4


def test_title():
    """social-app-django's templates show a backend's ``title``."""
    from authlib_cashsocial.social import CashSocialAuth

    assert CashSocialAuth.title == "Cash Social Network"
    assert CashSocialAuth.get_title(None) == "Cash Social Network"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Received:
    """What a relay received: the request line's method and target (an
    absolute URL when it was sent to a proxy), and the User-Agent."""

    method: str
    target: str
    user_agent: str | None


class RecordingRelay:
    """A WSGI app that records each request, then forwards it to
    ``upstream`` (the fake site) and answers with the site's answer: in
    front of the site as its ``base_url``, or as an HTTP proxy."""

    _HOP_BY_HOP = frozenset(
        {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "host"}
    )

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.received: list[Received] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_")
            and name[5:].replace("_", "-").lower() not in self._HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        target = environ["REQUEST_URI"]
        self.received.append(
            Received(environ["REQUEST_METHOD"], target, headers.get("User-Agent"))
        )
        origin_form = urlunsplit(("", "", *urlsplit(target)[2:4], ""))
        upstream = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=10
        )
        try:
            upstream.request(environ["REQUEST_METHOD"], origin_form, body, headers)
            answer = upstream.getresponse()
            content = answer.read()
            start_response(
                f"{answer.status} {answer.reason}",
                [
                    (name, value)
                    for name, value in answer.getheaders()
                    if name.lower() not in self._HOP_BY_HOP
                ],
            )
        finally:
            upstream.close()
        return [content]

    def paths(self) -> list[str]:
        return [urlsplit(r.target).path for r in self.received]


@pytest.fixture
def relay(site: FakeSite) -> Iterator[tuple[RecordingRelay, str]]:
    """A :class:`RecordingRelay` to the fake site, and its URL."""
    from werkzeug.serving import make_server

    recorder = RecordingRelay(site.base_url)
    # werkzeug's server, not the test servers' cheroot: cheroot refuses a
    # request line's absolute-form target ("POST http://site/...") unless it
    # runs as a proxy, which its public API does not offer.
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder, f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def log_in_through_the_site(app: RunningStack, user: str = "alice") -> Any:
    """Start a login, approve it at the site itself (whatever ``base_url``
    the app has), and follow the callback."""
    app.start()
    authorize = f"{app.site.base_url}/api/oauth?app_id={app.site.app.app_id}"
    return app.callback(app.at_site(authorize, user))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, None),  # social-core's own, as its backends send it
        ({"SOCIAL_AUTH_USER_AGENT": "MyApp/2.0"}, "MyApp/2.0"),
        ({"SOCIAL_AUTH_CASHSOCIAL_USER_AGENT": "Only/this"}, "Only/this"),
    ],
)
def test_user_agent_setting(
    site: FakeSite, make_stack, social_settings, relay, settings, expected
):
    from social_core.utils import user_agent

    recorder, relay_url = relay
    app = make_stack()
    social_settings(SOCIAL_AUTH_CASHSOCIAL_BASE_URL=relay_url, **settings)
    assert log_in_through_the_site(app).status_code == 302
    assert app.me()["username"] == "alice"
    assert recorder.paths() == ["/api/authorize", "/api/get_user_info"]
    for received in recorder.received:
        assert received.user_agent == (expected or user_agent()), received


def test_proxies_setting(
    site: FakeSite, make_stack, social_settings, relay, monkeypatch
):
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    recorder, relay_url = relay
    app = make_stack()
    social_settings(SOCIAL_AUTH_PROXIES={"http": relay_url})
    assert app.login().status_code == 302
    assert app.me()["username"] == "alice"
    # Sent to the proxy: the request line holds the site's absolute URL.
    assert [r.target.split("?")[0] for r in recorder.received] == [
        f"{site.base_url}/api/authorize",
        f"{site.base_url}/api/get_user_info",
    ]


@pytest.mark.parametrize("name", ["REQUESTS_TIMEOUT", "URLOPEN_TIMEOUT"])
def test_timeout_settings(site: FakeSite, make_stack, social_settings, name: str):
    from authlib_cashsocial.testing.faults import Slow

    app = make_stack()
    social_settings(**{f"SOCIAL_AUTH_{name}": 0.5})
    site.fake.inject("api/authorize", Slow(3.0))
    started = time.monotonic()
    done = app.login()
    assert done.status_code == 504, done.text
    assert time.monotonic() - started < 2.5
    assert last_error().context["cashsocial_error"] == "timeout"


def test_the_options_timeout_wins(site: FakeSite, make_stack, social_settings):
    from authlib_cashsocial.testing.faults import Slow

    app = make_stack(timeout=10)
    social_settings(SOCIAL_AUTH_REQUESTS_TIMEOUT=0.2)
    site.fake.inject("api/authorize", Slow(0.6))
    assert app.login().status_code == 302


def test_a_wrong_timeout_setting_is_named(site: FakeSite, make_stack, social_settings):
    from social_core.exceptions import AuthConfigurationError

    app = make_stack()
    social_settings(SOCIAL_AUTH_REQUESTS_TIMEOUT=(3, 10))  # requests' pair
    page = app.start_response()
    assert page.status_code == 500, page.text
    error = last_error()
    assert isinstance(error, AuthConfigurationError)
    assert error.parameter == "REQUESTS_TIMEOUT"


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "site.pem", directory / "site.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def https_site(site: FakeSite, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The fake site over HTTPS on loopback (a self-signed certificate), and
    that certificate."""
    cert_file, key_file = _self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = wsgiref.simple_server.make_server(
        "127.0.0.1",
        0,
        site.fake,
        server_class=type(
            "ThreadingWSGIServer",
            (socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer),
            {"daemon_threads": True},
        ),
        handler_class=_QuietHandler,
    )
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", cert_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("verify", ["default", "certificate", "off"])
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_ssl_setting(
    site: FakeSite, make_stack, social_settings, https_site, verify: str
):
    base_url, cert_file = https_site
    app = make_stack()
    social_settings(SOCIAL_AUTH_CASHSOCIAL_BASE_URL=base_url)
    if verify != "default":
        social_settings(
            SOCIAL_AUTH_VERIFY_SSL=str(cert_file) if verify == "certificate" else False
        )
    done = log_in_through_the_site(app)
    if verify == "default":  # the certificate is nobody's: refused
        assert done.status_code == 503, done.text
        assert last_error().context["cashsocial_error"] == "temporarily_unavailable"
        assert app.exchanges() == 0
    else:
        assert done.status_code == 302, done.text
        assert app.me()["username"] == "alice"


# ------------------------------------------------------------------ 22.6


def test_two_sngine_sites_have_two_backends(
    site: FakeSite, make_stack, social_settings
):
    """Member 101 of each site is a person of their own: each site's backend
    (its own ``name``) keeps its own accounts."""
    from authlib_cashsocial.testing.server import demo_site

    app = make_stack()  # Django is set up from here on
    from social_django.models import UserSocialAuth

    with demo_site(
        redirect_url=app.base_url + "/social/complete/secondsite/"
    ) as second:
        social_settings(
            SOCIAL_AUTH_SECONDSITE_KEY=second.app.app_id,
            SOCIAL_AUTH_SECONDSITE_SECRET=second.app.app_secret,
            SOCIAL_AUTH_SECONDSITE_BASE_URL=second.base_url,
        )
        assert app.login().status_code == 302  # alice, member 101 of the first
        first_user = app.me()["username"]
        app.logout()
        start = app.browser.post(
            app.base_url + "/social/login/secondsite/",
            data={"csrfmiddlewaretoken": app.csrf_token()},
            allow_redirects=False,
            timeout=10,
        )
        assert start.status_code == 302, start.text
        assert start.headers["Location"].startswith(second.base_url)
        done = app.callback(approve_at_site(second, start.headers["Location"]))
        assert done.status_code == 302, done.text
        assert app.me()["username"] != first_user
    accounts = {
        row.provider: (row.uid, row.user_id, row.extra_data["iss"])
        for row in UserSocialAuth.objects.all()
    }
    assert accounts["cashsocial"][0] == accounts["secondsite"][0] == "101"
    assert accounts["cashsocial"][1] != accounts["secondsite"][1]
    assert accounts["cashsocial"][2] == site.base_url
    assert accounts["secondsite"][2] == second.base_url


def test_one_backend_never_maps_two_sites_to_one_account(
    site: FakeSite, make_stack, social_settings
):
    """The same backend pointed at another site (its BASE_URL changed):
    member 101 of the new site is refused, not logged in as the old one's."""
    from social_core.exceptions import AuthConfigurationError

    from authlib_cashsocial.testing.server import demo_site

    app = make_stack()  # Django is set up from here on
    from social_django.models import UserSocialAuth

    assert app.login().status_code == 302
    app.logout()
    with demo_site(redirect_url=site.app.redirect_url) as second:
        social_settings(
            SOCIAL_AUTH_CASHSOCIAL_KEY=second.app.app_id,
            SOCIAL_AUTH_CASHSOCIAL_SECRET=second.app.app_secret,
            SOCIAL_AUTH_CASHSOCIAL_BASE_URL=second.base_url,
        )
        refused = app.callback(approve_at_site(second, app.start(), "alice"))
        assert refused.status_code == 500, refused.text
        error = last_error()
        assert isinstance(error, AuthConfigurationError)
        assert error.parameter == "BASE_URL"
        assert site.base_url in error.detail
        assert app.me() is None
        # A member the old site never had is no one's: stored with this site.
        assert app.login("bob").status_code == 302
        assert app.me()["username"] == "bob"
    sites = dict(UserSocialAuth.objects.values_list("uid", "extra_data__iss"))
    assert sites == {"101": site.base_url, "102": second.base_url}
