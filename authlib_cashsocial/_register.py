"""``register()``: one line to add an Sngine site to an Authlib registry.

It sits above the three framework modules and imports the one that matches
the registry only when called, so that ``import authlib_cashsocial`` never
imports a web framework.
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigurationError

__all__ = ["register"]


def _flask_app() -> type:
    from .flask_client import FlaskCashSocialApp

    return FlaskCashSocialApp


def _starlette_app() -> type:
    from .starlette_client import StarletteCashSocialApp

    return StarletteCashSocialApp


def _django_app() -> type:
    from .django_client import DjangoCashSocialApp

    return DjangoCashSocialApp


# The Authlib registry module each app class serves.
_APP_CLASSES = {
    "authlib.integrations.flask_client": _flask_app,
    "authlib.integrations.starlette_client": _starlette_app,
    "authlib.integrations.django_client": _django_app,
}


def _app_class_for(oauth: Any) -> type:
    for cls in type(oauth).__mro__:
        # Authlib defines each registry in a submodule of these packages.
        for package, app_class in _APP_CLASSES.items():
            if cls.__module__ == package or cls.__module__.startswith(package + "."):
                return app_class()
    raise ConfigurationError(
        f"register() takes the OAuth registry of authlib.integrations.flask_client, "
        f"starlette_client or django_client, not {type(oauth).__name__}.",
        option="oauth",
    )


def register(oauth: Any, name: str = "cashsocial", **options: Any) -> Any:
    """Register Cash Social (or any Sngine site) in an Authlib registry and
    return the app, exactly like ``oauth.register("github", ...)``.

    ``oauth`` is the ``OAuth`` of ``authlib.integrations.flask_client``,
    ``starlette_client`` or ``django_client``. Options are keyword-only and
    listed on the *Configuration* page: ``client_id``/``client_secret`` (or
    ``app_id``/``app_secret``; otherwise read from the framework's config as
    Authlib does for every provider), ``base_url``, ``token_method``,
    ``token_lifetime``, ``login_timeout``, ``timeout``,
    ``max_response_size``, ``allow_insecure``, ``uploads_url``; and Authlib's
    ``client_kwargs``, ``fetch_token``, ``update_token``, ``user_agent``. Any
    other name raises :class:`~authlib_cashsocial.errors.ConfigurationError`.

    Example::

        oauth = OAuth(app)
        authlib_cashsocial.register(oauth, client_id=APP_ID, client_secret=SECRET)
        return oauth.cashsocial.authorize_redirect()
    """
    app_class = _app_class_for(oauth)
    # The app class reads the framework's configuration through the registry
    # when Authlib creates it (for a Flask app factory: at first use after
    # init_app), every key under the registration's prefix.
    return oauth.register(name, client_cls=app_class, oauth=oauth, **options)
