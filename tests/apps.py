"""The same small web app in Flask, Starlette and Django, each built with
``register`` and the route helper, served over real loopback HTTP."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import authlib_cashsocial
from authlib_cashsocial import CashSocialError
from authlib_cashsocial.testing import FakeSite, ThreadedWSGIServer

FRAMEWORKS = ("flask", "starlette", "django")
#: The Django login stacks, by the module each one needs. Their extras need
#: Python 3.11+ and newer Django releases than the ``django`` extra's lower
#: bound, so an environment may have either, both or neither.
STACK_MODULES = {"allauth": "allauth", "social": "social_django"}


def installed_stacks() -> tuple[str, ...]:
    """The Django login stacks installed here."""
    return tuple(
        stack
        for stack, module in STACK_MODULES.items()
        if importlib.util.find_spec(module) is not None
    )


@contextmanager
def serve_wsgi(app: Any, *, close: Callable[[], None] | None = None) -> Iterator[str]:
    with ThreadedWSGIServer(app, threads=16) as server:
        yield server.base_url
    if close is not None:
        close()  # the app's pooled connections to the site


@contextmanager
def serve_asgi(app: Any, *, access_log: bool = False) -> Iterator[str]:
    """Serve ``app`` with uvicorn; ``access_log`` leaves uvicorn's logging
    configuration alone and turns its access log on."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if access_log:
        config = uvicorn.Config(app, log_config=None, access_log=True, lifespan="on")
    else:
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60  # a busy machine starts slowly
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _remember(store: Any, user: dict[str, Any], token: dict[str, Any]) -> None:
    store["user"] = dict(user)
    store["token_keys"] = sorted(token)


def _manual_result(
    store: Any, token: dict[str, Any], again: dict[str, Any], api: dict[str, Any]
) -> dict[str, Any]:
    """What the /manual/auth routes answer; the token (without the claims)
    stays in the session for /manual/later."""
    store["token"] = {k: v for k, v in token.items() if k != "userinfo"}
    return {
        "keys": sorted(token),
        "sub": token["userinfo"]["sub"],
        "again": again["sub"],  # userinfo(token=...)
        "api": api["user_info"]["user_id"],  # get() under api_base_url
    }


# ---------------------------------------------------------------- Flask


def flask_app(
    options: dict[str, Any], config: dict[str, Any], extra: Callable[..., None] | None
):
    from authlib.integrations.flask_client import OAuth
    from flask import Flask, jsonify, session

    from authlib_cashsocial.flask_client import create_blueprint

    app = Flask("flask_test_app")
    app.secret_key = "flask-test-secret"
    app.config.update(config)
    oauth = OAuth(app, cache=options.pop("cache", None))
    remote = authlib_cashsocial.register(oauth, **options)
    app.register_blueprint(
        create_blueprint(
            remote, handle_login=lambda _r, token, user: _remember(session, user, token)
        )
    )
    # Handlers that answer themselves: the request they get is Flask's.
    app.register_blueprint(
        create_blueprint(
            remote,
            handle_login=lambda request, token, user: (
                f"welcome {user['sub']} via {request.path}",
                200,
            ),
            handle_error=lambda request, error: (f"no: {error.error}", 403),
            name="own",
            url_prefix="/own",
        )
    )

    @app.route("/me")
    def me() -> Any:
        return jsonify(session.get("user"))

    @app.route("/manual/login")
    def manual_login() -> Any:
        return remote.authorize_redirect("http://ignored.example/cb")

    @app.route("/manual/auth")
    def manual_auth() -> Any:
        try:
            token = remote.authorize_access_token()
        except CashSocialError as error:
            return jsonify(error.error), 400
        again = remote.userinfo(token=token)
        api = remote.get("get_user_info", token=token).json()
        return jsonify(_manual_result(session, token, again, api))

    @app.route("/manual/later")
    def manual_later() -> Any:
        try:
            return jsonify(remote.userinfo(token=session["token"])["sub"])
        except CashSocialError as error:
            return jsonify(error.error)

    if extra:
        extra(app=app, oauth=oauth)
    return serve_wsgi(app, close=remote.close), oauth


# ---------------------------------------------------------------- Starlette


def starlette_app(
    options: dict[str, Any], config: dict[str, Any], extra: Callable[..., None] | None
):
    from authlib.integrations.starlette_client import OAuth
    from starlette.applications import Starlette
    from starlette.config import Config
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Mount, Route

    from authlib_cashsocial.starlette_client import create_routes

    cache = options.pop("cache", None)
    oauth = OAuth(Config(environ=config) if config else None, cache=cache)
    remote = authlib_cashsocial.register(oauth, **options)

    def on_login(request: Request, token: dict[str, Any], user: dict[str, Any]) -> None:
        _remember(request.session, user, token)

    async def me(request: Request) -> JSONResponse:
        return JSONResponse(request.session.get("user"))

    async def manual_login(request: Request) -> Any:
        return await remote.authorize_redirect(request, "http://ignored.example/cb")

    async def manual_auth(request: Request) -> JSONResponse:
        try:
            token = await remote.authorize_access_token(request)
        except CashSocialError as error:
            return JSONResponse(error.error, status_code=400)
        again = await remote.userinfo(token=token)
        api = (await remote.get("get_user_info", token=token)).json()
        return JSONResponse(_manual_result(request.session, token, again, api))

    async def manual_later(request: Request) -> JSONResponse:
        try:
            claims = await remote.userinfo(token=request.session["token"])
        except CashSocialError as error:
            return JSONResponse(error.error)
        return JSONResponse(claims["sub"])

    async def own_login(request: Request, token: Any, user: Any) -> Any:
        return PlainTextResponse(f"welcome {user['sub']} via {request.url.path}")

    def own_error(request: Request, error: CashSocialError) -> Any:
        return PlainTextResponse(f"no: {error.error}", status_code=403)

    routes = [
        *create_routes(remote, handle_login=on_login),
        Mount(
            "/own",
            routes=create_routes(
                remote, handle_login=own_login, handle_error=own_error, name="own"
            ),
        ),
        Route("/me", me),
        Route("/manual/login", manual_login),
        Route("/manual/auth", manual_auth),
        Route("/manual/later", manual_later),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        await remote.aclose()  # the pool belongs to this event loop

    app = Starlette(
        lifespan=lifespan,
        routes=routes,
        middleware=[Middleware(SessionMiddleware, secret_key="starlette-test")],
    )
    if extra:
        extra(app=app, oauth=oauth)
    return serve_asgi(app), oauth


# ---------------------------------------------------------------- Django


class DjangoURLs:
    """The URLconf module stand-in; each test app sets its patterns."""

    urlpatterns: ClassVar[list[Any]] = []


def _configure_django() -> None:
    """One Django configuration per process (Django allows no other): the
    Authlib test app, the django-allauth provider and the social-auth
    backend (those installed) side by side, on signed-cookie sessions (so the
    pending-login checks are tested where a replay can carry an old copy of
    the session) and a throw-away SQLite database migrated once."""
    from django.conf import settings

    if settings.configured:
        return
    allauth = "allauth" in installed_stacks()
    social = "social" in installed_stacks()
    database = Path(tempfile.mkdtemp(prefix="cashsocial-django-")) / "db.sqlite3"
    atexit.register(shutil.rmtree, database.parent, ignore_errors=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=DjangoURLs,
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            *(["allauth.account.middleware.AccountMiddleware"] if allauth else []),
            *(
                ["tests.django_hooks.RecordingSocialAuthExceptionMiddleware"]
                if social
                else []
            ),
        ],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.sites",
            *(
                [
                    "allauth",
                    "allauth.account",
                    "allauth.socialaccount",
                    "allauth.headless",
                    "authlib_cashsocial.allauth",
                ]
                if allauth
                else []
            ),
            *(["social_django"] if social else []),
        ],
        AUTHENTICATION_BACKENDS=[
            "django.contrib.auth.backends.ModelBackend",
            *(
                ["allauth.account.auth_backends.AuthenticationBackend"]
                if allauth
                else []
            ),
            *(
                [
                    "authlib_cashsocial.social.CashSocialAuth",
                    "tests.django_hooks.SecondSiteAuth",
                ]
                if social
                else []
            ),
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(database),
                "OPTIONS": {"timeout": 30},
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SITE_ID=1,
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage",
        LOGIN_REDIRECT_URL="/me",
        SOCIALACCOUNT_PROVIDERS={},
        SOCIALACCOUNT_ADAPTER="tests.django_hooks.RecordingSocialAccountAdapter",
        # allauth's headless mode (a single-page app's API under _allauth/):
        # where a failed login lands when no login start says where.
        HEADLESS_FRONTEND_URLS={"socialaccount_login_error": "/spa/error"},
        ACCOUNT_EMAIL_VERIFICATION="none",
        SOCIAL_AUTH_URL_NAMESPACE="social",
        SOCIAL_AUTH_LOGIN_REDIRECT_URL="/me",
        USE_TZ=True,
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def django_app(
    options: dict[str, Any], config: dict[str, Any], extra: Callable[..., None] | None
):
    _configure_django()
    from authlib.integrations.django_client import OAuth
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse, JsonResponse
    from django.urls import clear_url_caches, include, path

    from authlib_cashsocial.django_client import urlpatterns

    settings.AUTHLIB_OAUTH_CLIENTS = config.get("AUTHLIB_OAUTH_CLIENTS", {})
    oauth = OAuth(cache=options.pop("cache", None))
    remote = authlib_cashsocial.register(oauth, **options)

    def me(request: Any) -> JsonResponse:
        return JsonResponse(request.session.get("user"), safe=False)

    def manual_login(request: Any) -> Any:
        return remote.authorize_redirect(request, "http://ignored.example/cb")

    def manual_auth(request: Any) -> JsonResponse:
        try:
            token = remote.authorize_access_token(request)
        except CashSocialError as error:
            return JsonResponse(error.error, safe=False, status=400)
        again = remote.userinfo(token=token)
        api = remote.get("get_user_info", token=token).json()
        return JsonResponse(_manual_result(request.session, token, again, api))

    def manual_later(request: Any) -> JsonResponse:
        try:
            sub = remote.userinfo(token=request.session["token"])["sub"]
        except CashSocialError as error:
            return JsonResponse(error.error, safe=False)
        return JsonResponse(sub, safe=False)

    DjangoURLs.urlpatterns = [
        *urlpatterns(
            remote,
            handle_login=lambda request, token, user: _remember(
                request.session, user, token
            ),
            login_path="login",
            callback_path="auth",
        ),
        path(
            "own/",
            include(
                urlpatterns(
                    remote,
                    handle_login=lambda request, token, user: HttpResponse(
                        f"welcome {user['sub']} via {request.path}"
                    ),
                    handle_error=lambda request, error: HttpResponse(
                        f"no: {error.error}", status=403
                    ),
                    login_path="login",
                    callback_path="auth",
                    name="own",
                )
            ),
        ),
        path("me", me),
        path("manual/login", manual_login),
        path("manual/auth", manual_auth),
        path("manual/later", manual_later),
    ]
    clear_url_caches()
    if extra:
        extra(urls=DjangoURLs.urlpatterns, oauth=oauth)
    return serve_wsgi(WSGIHandler(), close=remote.close), oauth


BUILDERS = {"flask": flask_app, "starlette": starlette_app, "django": django_app}


def approve_at_site(site: FakeSite, login_url: str, user: str = "alice") -> str:
    """Sign in and approve at the site as ``user``; return the callback URL."""
    password = site.users[user].password
    callback = site.browser.log_in(login_url, username=user, password=password)
    assert callback is not None
    return callback
