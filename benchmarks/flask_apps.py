"""The two Flask apps the benchmark compares, each with a ``/login`` and an
``/auth`` route (the site's App Redirect URL) that answers ``ok``:

* :func:`package_app`: this package (``register`` and the blueprint);
* :func:`stock_authlib_app`: what a user without this package would write:
  Authlib's Flask integration configured by hand for Sngine (a client
  authentication method that sends the exchange's three values, a
  compliance hook for the answer's missing ``token_type``, the pending login
  kept as Authlib's state).

Both trust the benchmark's certificate authority and no environment
settings (``client_kwargs``), and give up on a request after 10 s.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import authlib_cashsocial

APP = "http://app.test"


def package_app(
    base_url: str, app_id: str, app_secret: str, *, ca_pem: str, **options: Any
) -> tuple[Any, Any]:
    """This package's Flask app, and its registered Authlib app."""
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    from authlib_cashsocial.flask_client import create_blueprint

    app = Flask("bench_package")
    app.secret_key = "bench"
    oauth = OAuth(app)
    remote = authlib_cashsocial.register(
        oauth,
        client_id=app_id,
        client_secret=app_secret,
        base_url=base_url,
        client_kwargs={"verify": ca_pem, "trust_env": False},
        **options,
    )
    app.register_blueprint(create_blueprint(remote, handle_login=lambda *_: "ok"))
    return app, remote


def sngine_auth(client: Any, method: str, uri: str, headers: Any, body: Any) -> Any:
    """A client authentication method for Authlib: Sngine's exchange takes
    ``app_id``, ``app_secret`` and ``auth_key`` in the form, not OAuth's
    ``code``."""
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
    """A compliance hook: Sngine's token answer has no ``token_type``."""

    def token_response(resp: Any) -> Any:
        data = resp.json()
        data.setdefault("token_type", "Bearer")
        resp.json = lambda: data
        return resp

    session.register_compliance_hook("access_token_response", token_response)


def stock_authlib_app(
    base_url: str, app_id: str, app_secret: str, *, ca_pem: str
) -> tuple[Any, Any]:
    """Authlib's Flask integration configured by hand, and its remote app."""
    from authlib.integrations.flask_client import OAuth
    from flask import Flask, request, session

    app = Flask("bench_stock")
    app.secret_key = "bench"
    oauth = OAuth(app)
    remote = oauth.register(
        "sngine",
        client_id=app_id,
        client_secret=app_secret,
        authorize_url=f"{base_url}/api/oauth",
        access_token_url=f"{base_url}/api/authorize",
        api_base_url=f"{base_url}/api/",
        client_auth_methods=[("sngine", sngine_auth)],
        compliance_fix=sngine_fix,
        client_kwargs={
            "token_endpoint_auth_method": "sngine",
            "token_placement": "uri",
            "verify": ca_pem,
            "trust_env": False,
            "default_timeout": 10,  # as the package's own ``timeout``
        },
    )

    @app.route("/login")
    def login() -> Any:
        return remote.authorize_redirect(f"{APP}/auth", app_id=app_id)

    @app.route("/auth")
    def auth() -> str:
        # The site echoes no state: the pending login is Authlib's saved
        # state, taken out of the session.
        pending = [key for key in session if key.startswith("_state_sngine_")]
        if not pending:
            return "no pending login"
        for key in pending:
            session.pop(key)
        token = remote.fetch_access_token(code=request.args["auth_key"])
        user = remote.get("get_user_info", token=token).json()["user_info"]
        return "ok" if user["user_id"] else "no"

    return app, remote
