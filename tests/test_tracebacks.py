"""No frame of the traceback of an error this package raises holds the
app_secret or an access token, in a local, an argument or anything whose
repr shows it: error trackers print frame locals. Each failure of the fault
matrix (exchange and user info), from every client and through every
framework app, is rendered by three that do: the Sentry SDK (its event kept
in memory by ``before_send``, nothing sent), Django's technical 500 page and
Werkzeug's debugger."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authlib_cashsocial import CashSocialError
from authlib_cashsocial.testing import FakeSite

from .apps import _configure_django, approve_at_site
from .conftest import CLIENT_KINDS, Driver, log_in, make_client
from .test_fault_matrix import CASES, Case, timeout_for


@pytest.fixture(scope="module")
def sentry_events() -> Iterator[Callable[[BaseException], str]]:
    """Render an error as the Sentry SDK reports it, with its defaults
    (frame locals included); the DSN names a loopback port that listens to
    nothing, and ``before_send`` keeps the event instead of sending it."""
    import sentry_sdk

    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    events: list[dict[str, Any]] = []

    def keep(event: Any, _hint: Any) -> None:
        events.append(event)

    client = sentry_sdk.Client(
        dsn=f"http://public@127.0.0.1:{unused.getsockname()[1]}/1",
        before_send=keep,
        default_integrations=False,
    )
    assert client.options["include_local_variables"]  # the SDK's default

    def render(error: BaseException) -> str:
        events.clear()
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            scope.capture_exception(error)
        [event] = events
        frames = [
            frame
            for value in event["exception"]["values"]
            for frame in value["stacktrace"]["frames"]
        ]
        assert any(frame.get("vars") for frame in frames)  # locals were read
        return json.dumps(event, default=repr)

    yield render
    client.close()
    unused.close()


def django_page(error: BaseException) -> str:
    _configure_django()
    from django.test import RequestFactory
    from django.views.debug import technical_500_response

    request = RequestFactory().get("/auth")
    answer = technical_500_response(request, type(error), error, error.__traceback__)
    return answer.content.decode()


def werkzeug_page(error: BaseException) -> str:
    from werkzeug.debug.tbtools import DebugTraceback

    return DebugTraceback(error).render_traceback_html()


def _secrets(site: FakeSite) -> set[str]:
    """The app secret and every access token the site issued."""
    values = {site.app.app_secret}
    for entry in site.fake.requests:
        token = entry.param("access_token")
        if token:
            values.add(token)
    return values


def _assert_no_secret_shown(
    site: FakeSite, error: BaseException, sentry_events: Callable[..., str]
) -> None:
    secrets = _secrets(site)
    for render in (sentry_events, django_page, werkzeug_page):
        shown = render(error)
        for secret in secrets:
            assert secret not in shown, f"{render.__name__} shows a secret"


@pytest.mark.parametrize("kind", CLIENT_KINDS)
@pytest.mark.parametrize("name", CASES)
def test_a_clients_error_shows_no_secret(
    site: FakeSite, sentry_events, kind: str, name: str
):
    case: Case = CASES[name]
    # An old server: the secret travels in the exchange's URL.
    site.fake.release = "4.0.3"
    client = make_client(
        kind,
        site.app.app_id,
        site.app.app_secret,
        base_url=site.base_url,
        token_method="get",
        timeout=timeout_for(case),
    )
    driver = Driver(kind, client)
    try:
        callback = log_in(site, driver)
        site.fake.inject(case.path, case.fault)
        error = _login_error(driver, callback)
    finally:
        driver.close()
    assert type(error) is case.expected
    _assert_no_secret_shown(site, error, sentry_events)


def _login_error(driver: Driver, callback: str) -> CashSocialError:
    """A user's callback code: the frame that catches (this test's own frame
    holds the site, secret and all)."""
    try:
        driver.fetch_token(authorization_response=callback)
        driver.userinfo()
    except CashSocialError as error:
        return error
    raise AssertionError("the login did not fail")


def _raw_callback_route(framework: str, caught: list[BaseException]) -> Any:
    """A README-style callback route: ``authorize_access_token()``, its error
    kept for the test (as an error tracker would get it)."""

    def flask_route(app: Any, oauth: Any) -> None:
        remote = oauth.create_client("cashsocial")

        @app.route("/raw/auth")
        def raw_auth() -> Any:
            try:
                remote.authorize_access_token()
            except CashSocialError as error:
                caught.append(error)
                return "failed", 500
            return "ok"

    def starlette_route(app: Any, oauth: Any) -> None:
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        remote = oauth.create_client("cashsocial")

        async def raw_auth(request: Any) -> Any:
            try:
                await remote.authorize_access_token(request)
            except CashSocialError as error:
                caught.append(error)
                return PlainTextResponse("failed", status_code=500)
            return PlainTextResponse("ok")

        app.router.routes.insert(0, Route("/raw/auth", raw_auth))

    def django_route(urls: list[Any], oauth: Any) -> None:
        from django.http import HttpResponse
        from django.urls import clear_url_caches, path

        remote = oauth.create_client("cashsocial")

        def raw_auth(request: Any) -> Any:
            try:
                remote.authorize_access_token(request)
            except CashSocialError as error:
                caught.append(error)
                return HttpResponse("failed", status=500)
            return HttpResponse("ok")

        urls.insert(0, path("raw/auth", raw_auth))
        clear_url_caches()

    return {"flask": flask_route, "starlette": starlette_route}.get(
        framework, django_route
    )


@pytest.mark.parametrize("release", ["4.2", "4.0.3"])
@pytest.mark.parametrize("name", CASES)
def test_a_framework_apps_error_shows_no_secret(
    site: FakeSite, make_app, framework: str, sentry_events, name: str, release: str
):
    case: Case = CASES[name]
    site.fake.release = release
    caught: list[BaseException] = []
    app = make_app(
        # On the old server the secret travels in the exchange's URL.
        token_method="get" if release == "4.0.3" else "auto",
        timeout=timeout_for(case),
        extra=_raw_callback_route(framework, caught),
        callback_path="/raw/auth",
    )
    callback = app.at_site(app.start())
    site.fake.inject(case.path, case.fault)
    assert app.callback(callback).status_code == 500
    [error] = caught
    assert type(error) is case.expected
    _assert_no_secret_shown(site, error, sentry_events)


@pytest.mark.parametrize("name", CASES)
def test_a_django_stacks_error_shows_no_secret(
    site: FakeSite, make_stack, stack: str, sentry_events, name: str
):
    """The django-allauth provider and the social-auth backend: the error
    each records (allauth's hook gets ours, social-core's middleware its own,
    ours chained)."""
    from .django_stacks import recorded_errors
    from .test_fault_matrix import callback_under_fault

    case: Case = CASES[name]
    site.fake.release = "4.0.3"
    app = make_stack(timeout=timeout_for(case), token_method="get")
    callback_under_fault(site, app, case)
    _assert_no_secret_shown(site, recorded_errors()[-1], sentry_events)


def _stack_configuration_error(stack: str) -> BaseException:
    """What a stack's login start raises for a bad option: the error its
    view (and so a tracker) gets; this frame holds no secret."""
    from django.test import RequestFactory

    try:
        if stack == "allauth":
            from allauth.socialaccount.adapter import get_adapter

            request = RequestFactory().get("/")
            get_adapter().get_provider(request, "cashsocial").stack_login()
        else:
            from social_django.utils import load_backend, load_strategy

            load_backend(load_strategy(), "cashsocial", redirect_uri=None).stack_login()
    except Exception as error:
        return error
    raise AssertionError("the options were accepted")


@pytest.mark.parametrize("stack", ["allauth", "social"])
@pytest.mark.parametrize("mistake", ["bad-value", "typo"])
def test_a_stacks_configuration_error_shows_no_secret(
    site: FakeSite, sentry_events, stack: str, mistake: str
):
    """A mistake is found at each login start of the Django stacks: the
    error's frames held the app_secret (login_for's argument, allauth's
    provider settings, the social backend's options as read)."""
    from django.conf import settings

    from .django_stacks import configure_stack

    pytest.importorskip("allauth" if stack == "allauth" else "social_django")
    configure_stack(stack, site, **({"timeout": 0} if mistake == "bad-value" else {}))
    if mistake == "typo" and stack == "allauth":
        settings.SOCIALACCOUNT_PROVIDERS["cashsocial"]["BASE_ULR"] = "x"
    elif mistake == "typo":
        settings.SOCIAL_AUTH_CASHSOCIAL_OPTIONS = {"base_ulr": "x"}
    try:
        error = _stack_configuration_error(stack)
    finally:
        configure_stack(stack, site)  # the next test's settings are sound
    words = "timeout" if mistake == "bad-value" else "ulr"
    assert words in str(getattr(error, "detail", error)).lower()  # social-core's
    _assert_no_secret_shown(site, error, sentry_events)


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ({"CASHSOCIAL_BASE_URL": "https://other.example"}, "One Authlib OAuth"),
        ({"CASHSOCIAL_BASE_ULR": "https://other.example"}, "CASHSOCIAL_BASE_ULR"),
    ],
    ids=["other-site", "typo"],
)
def test_a_second_flask_apps_refusal_shows_no_secret(
    site: FakeSite, sentry_events, second: dict[str, str], words: str
):
    """One OAuth serving two Flask apps whose settings differ: the refusal
    comes at a request; its frames held the other app's settings as read,
    secret included."""
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    import authlib_cashsocial

    oauth = OAuth()
    authlib_cashsocial.register(oauth)
    apps = []
    for more in ({"CASHSOCIAL_BASE_URL": site.base_url}, second):
        app = Flask(f"app{len(apps)}")
        app.secret_key = "k"
        app.config.update(
            CASHSOCIAL_CLIENT_ID=site.app.app_id,
            CASHSOCIAL_CLIENT_SECRET=site.app.app_secret,
            **more,
        )
        oauth.init_app(app)
        apps.append(app)
        if len(apps) == 1:
            remote = oauth.create_client("cashsocial")  # reads the first's config
    error = _second_app_error(apps[1], remote)
    assert words in str(error)
    _assert_no_secret_shown(site, error, sentry_events)
    remote.close()


def _second_app_error(app: Any, remote: Any) -> BaseException:
    with app.test_request_context("/login"):
        try:
            remote.authorize_redirect()
        except CashSocialError as error:
            return error
    raise AssertionError("the second app was served")


def _sentry_event_after_a_login(site: FakeSite, **options: Any) -> str:
    """A login through CashSocialSession (the secret in the exchange URL, as
    old servers read it), then an error captured in the same scope, by the
    Sentry SDK with its http.client integration (one of its defaults: it
    records every request's URL and query string as a breadcrumb). The
    others stay off: set up once, Sentry's Starlette integration patches
    ``Starlette.__call__`` for the rest of the process, which an older
    uvicorn then mistakes for an app factory in every later test."""
    import sentry_sdk
    from sentry_sdk.integrations.stdlib import StdlibIntegration

    from authlib_cashsocial import CashSocialSession

    events: list[Any] = []
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        client = sentry_sdk.Client(
            dsn=f"http://public@127.0.0.1:{unused.getsockname()[1]}/1",
            before_send=lambda event, _hint: events.append(event),
            default_integrations=False,
            integrations=[StdlibIntegration()],
            **options,
        )
        try:
            with sentry_sdk.isolation_scope(), sentry_sdk.new_scope() as scope:
                scope.set_client(client)
                site.fake.release = "4.0.3"
                with CashSocialSession(
                    site.app.app_id,
                    site.app.app_secret,
                    base_url=site.base_url,
                    token_method="get",
                ) as session:
                    login_url, _state = session.create_authorization_url()
                    session.fetch_token(
                        authorization_response=approve_at_site(site, login_url)
                    )
                    session.userinfo()
                scope.capture_exception(ValueError("later, in the same request"))
        finally:
            client.close()
    [event] = events
    assert event["breadcrumbs"]["values"]  # the SDK recorded the requests
    return json.dumps(event, default=repr)


def test_sentrys_breadcrumbs_keep_no_secret_once_asked(site: FakeSite):
    """Sentry's default http.client integration keeps each request's query
    string unsanitized in a breadcrumb, which goes with any later event:
    the exchange's app_secret (old servers) and the user-info call's
    access_token. ``redact_sentry_event`` as ``before_breadcrumb`` (and
    ``before_send``) removes them."""
    from authlib_cashsocial import redact_sentry_event

    shown = _sentry_event_after_a_login(site)
    assert site.app.app_secret in shown  # the SDK's own behaviour, unasked
    shown = _sentry_event_after_a_login(site, before_breadcrumb=redact_sentry_event)
    assert "/api/get_user_info" in shown
    for secret in _secrets(site):
        assert secret not in shown
