"""Complete logins with the network removed, for the CPU benchmark.

Every client below sends its requests through :class:`CannedAdapter`, a
requests transport adapter that answers from memory the way the site would,
so what is left is the clients' own CPU: the web framework, Authlib, this
package, requests. Each client is built once and then logs in again and
again, as a running app would; per-call construction (Authlib builds a new
HTTP session for each call) is inside every login.

* ``package_flask``: this package's Flask app (``register`` + blueprint);
* ``stock_flask``: Authlib's Flask app configured by hand for Sngine (its own
  client auth method and compliance hook, written here), without this
  package;
* ``handwritten_flask``: the same two routes written by hand over one pooled
  ``requests.Session`` (the floor for the Flask app);
* ``package_session``: :class:`~authlib_cashsocial.CashSocialSession`, one
  per login, over a shared pool: the exchange and the user info;
* ``handwritten_session``: the same two requests by hand over one pooled
  ``requests.Session`` (the floor for the session).
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

import authlib_cashsocial

BASE_URL = "https://social.example"
APP_ID = "demo-app"
APP_SECRET = "s" * 28
AUTH_KEY = "a" * 32
ACCESS_TOKEN = "f" * 32
APP = "http://app.test"
USER_INFO = {
    "user_id": "101",
    "user_name": "alice",
    "user_email": "alice@example.org",
    "user_firstname": "Alice",
    "user_lastname": "Liddell",
    "user_gender": "Female",
    "user_birthdate": "1990-05-04",
    "user_picture": "photos/a.jpg",
    "user_cover": None,
    "user_registered": "2024-05-01 12:00:00",
    "user_verified": "1",
    "user_relationship": None,
    "user_biography": None,
    "user_website": None,
    "profile_picture": f"{BASE_URL}/content/uploads/photos/a.jpg",
    "profile_cover": f"{BASE_URL}/content/uploads/",
}
_TOKEN_BODY = json.dumps({"access_token": ACCESS_TOKEN}).encode()
_USER_BODY = json.dumps({"user_info": USER_INFO}).encode()

Login = Callable[[], None]


class CannedAdapter(HTTPAdapter):
    """The site's two API answers, from memory (it checks what it is sent)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        parts = urlsplit(request.url or "")
        query = dict(parse_qsl(parts.query))
        if parts.path == "/api/authorize":
            body = request.body or ""
            form = dict(parse_qsl(body if isinstance(body, str) else body.decode()))
            sent = {**query, **form}
            assert sent["auth_key"] == AUTH_KEY, sent
            assert sent["app_secret"] == APP_SECRET, "wrong secret"
            data = _TOKEN_BODY
        elif parts.path == "/api/get_user_info":
            assert query["access_token"] == ACCESS_TOKEN, query
            data = _USER_BODY
        else:  # pragma: no cover - a benchmark bug
            raise AssertionError(request.url)
        raw = HTTPResponse(
            body=io.BytesIO(data),
            headers={
                "Content-Type": "application/json",
                "Content-Length": str(len(data)),
            },
            status=200,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


def _flask_driver(app: Any) -> Login:
    client = app.test_client()

    def login() -> None:
        start = client.get("/login")
        assert start.status_code == 302, start.status_code
        done = client.get(f"/auth?auth_key={AUTH_KEY}")
        assert done.data == b"ok", done.data

    return login


def package_flask() -> Login:
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    from authlib_cashsocial.flask_client import create_blueprint

    app = Flask("cpu_package")
    app.secret_key = "bench"
    oauth = OAuth(app)
    remote = authlib_cashsocial.register(
        oauth, client_id=APP_ID, client_secret=APP_SECRET, base_url=BASE_URL
    )
    remote.connections.adapter = CannedAdapter()  # the pool every session draws on
    app.register_blueprint(create_blueprint(remote, handle_login=lambda *_: "ok"))
    return _flask_driver(app)


def sngine_auth(client: Any, method: str, uri: str, headers: Any, body: Any) -> Any:
    """What a user writes for Authlib without this package: the exchange's
    three values in the form body instead of OAuth's ``code``."""
    code = dict(parse_qsl(body))["code"]
    body = urlencode(
        {
            "app_id": client.client_id,
            "app_secret": client.client_secret,
            "auth_key": code,
        }
    )
    headers["Content-Length"] = str(len(body))
    return uri, headers, body


def sngine_fix(session: Any) -> None:
    """... and a compliance hook: Sngine's token answer has no token_type."""

    def token_response(resp: Any) -> Any:
        data = resp.json()
        data.setdefault("token_type", "Bearer")
        resp.json = lambda: data
        return resp

    session.register_compliance_hook("access_token_response", token_response)


def stock_flask(
    base_url: str = BASE_URL,
    app_id: str = APP_ID,
    app_secret: str = APP_SECRET,
    *,
    adapter: HTTPAdapter | None = None,
    user_agent: str | None = None,
    client_kwargs: dict[str, Any] | None = None,
) -> Any:
    """Authlib's Flask app configured by hand for Sngine. With ``adapter``,
    its per-call sessions send through it (no network); without, they are
    Authlib's own, as a user would have them."""
    from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
    from authlib.integrations.requests_client import OAuth2Session
    from flask import Flask, request, session

    pool = adapter

    class PooledSession(OAuth2Session):  # type: ignore[misc]
        """The session Authlib builds per call, on the benchmark's adapter."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mount("https://", pool)
            self.mount("http://", pool)

        def close(self) -> None:  # the adapter is shared: leave it open
            self.adapters.clear()
            super().close()

    class PooledApp(FlaskOAuth2App):  # type: ignore[misc]
        client_cls = PooledSession if pool is not None else OAuth2Session

    app = Flask("stock")
    app.secret_key = "bench"
    oauth = OAuth(app)
    oauth.register(
        "stock",
        client_cls=PooledApp,
        client_id=app_id,
        client_secret=app_secret,
        authorize_url=f"{base_url}/api/oauth",
        access_token_url=f"{base_url}/api/authorize",
        api_base_url=f"{base_url}/api/",
        client_auth_methods=[("sngine", sngine_auth)],
        compliance_fix=sngine_fix,
        user_agent=user_agent,
        client_kwargs={
            "token_endpoint_auth_method": "sngine",
            "token_placement": "uri",
            **(client_kwargs or {}),
        },
    )

    @app.route("/login")
    def login() -> Any:
        # Authlib keeps a state in the session; the site echoes none back.
        return oauth.stock.authorize_redirect(f"{APP}/auth", app_id=app_id)

    @app.route("/auth")
    def auth() -> str:
        # The pending login: Authlib's saved state, taken out of the session.
        pending = [key for key in session if key.startswith("_state_stock_")]
        if not pending:
            return "no pending login"
        for key in pending:
            session.pop(key)
        token = oauth.stock.fetch_access_token(code=request.args["auth_key"])
        user = oauth.stock.get("get_user_info", token=token).json()["user_info"]
        return "ok" if user["user_id"] else "no"

    return app


def handwritten_flask_app(
    http: requests.Session,
    base_url: str = BASE_URL,
    app_id: str = APP_ID,
    app_secret: str = APP_SECRET,
) -> Any:
    """The two routes by hand over one pooled session, with the same
    framework work as the package's (a pending login in Flask's session)."""
    from flask import Flask, redirect, request, session

    app = Flask("floor")
    app.secret_key = "bench"
    login_url = f"{base_url}/api/oauth?{urlencode({'app_id': app_id})}"

    @app.route("/login")
    def login() -> Any:
        session["pending"] = secrets.token_urlsafe(16)
        return redirect(login_url)

    @app.route("/auth")
    def auth() -> str:
        if session.pop("pending", None) is None:
            return "no pending login"
        token = http.post(
            f"{base_url}/api/authorize",
            data={
                "app_id": app_id,
                "app_secret": app_secret,
                "auth_key": request.args["auth_key"],
            },
            timeout=10,
        ).json()["access_token"]
        user = http.get(
            f"{base_url}/api/get_user_info",
            params={"access_token": token},
            timeout=10,
        ).json()["user_info"]
        return "ok" if user["user_id"] else "no"

    return app


def _canned_session() -> requests.Session:
    http = requests.Session()
    http.mount("https://", CannedAdapter())
    return http


def stock_flask_login() -> Login:
    app = stock_flask(adapter=CannedAdapter())
    client = app.test_client()

    def login() -> None:
        client.get("/login")
        done = client.get(f"/auth?auth_key={AUTH_KEY}")
        assert done.data == b"ok", done.data

    return login


def handwritten_flask() -> Login:
    return _flask_driver(handwritten_flask_app(_canned_session(), BASE_URL))


def package_session() -> Login:
    from authlib_cashsocial.requests_client import SharedConnections

    connections = SharedConnections()
    connections.adapter = CannedAdapter()
    dialect_options = {"base_url": BASE_URL}

    def login() -> None:
        with authlib_cashsocial.CashSocialSession(
            APP_ID, APP_SECRET, connections=connections, **dialect_options
        ) as session:
            session.fetch_token(auth_key=AUTH_KEY)
            assert session.userinfo()["sub"] == "101"

    return login


def handwritten_session() -> Login:
    http = _canned_session()

    def login() -> None:
        token = http.post(
            f"{BASE_URL}/api/authorize",
            data={"app_id": APP_ID, "app_secret": APP_SECRET, "auth_key": AUTH_KEY},
            timeout=10,
        ).json()["access_token"]
        user = http.get(
            f"{BASE_URL}/api/get_user_info",
            params={"access_token": token},
            timeout=10,
        ).json()["user_info"]
        assert user["user_id"] == "101"

    return login


CLIENTS: dict[str, Callable[[], Login]] = {
    "package_flask": package_flask,
    "stock_flask": stock_flask_login,
    "handwritten_flask": handwritten_flask,
    "package_session": package_session,
    "handwritten_session": handwritten_session,
}
