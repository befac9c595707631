"""Django: Authlib's ``DjangoOAuth2App`` speaking Sngine, and URL patterns.

Example::

    # settings.py
    AUTHLIB_OAUTH_CLIENTS = {"cashsocial": {"client_id": "...", "client_secret": "..."}}

    # views.py
    from authlib.integrations.django_client import OAuth
    import authlib_cashsocial

    oauth = OAuth()
    authlib_cashsocial.register(oauth)

    def login(request):
        return oauth.cashsocial.authorize_redirect(request)

    def auth(request):                      # the App Redirect URL
        token = oauth.cashsocial.authorize_access_token(request)
        request.session["user"] = token["userinfo"]
        return redirect("home")
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.django_client import DjangoOAuth2App
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path

from . import _app, _config

__all__ = ["DjangoCashSocialApp", "urlpatterns"]


class DjangoCashSocialApp(_app.CashSocialAppMixin, DjangoOAuth2App):  # type: ignore[misc]
    """Authlib's Django app class for an Sngine site (what ``register``
    creates for a Django registry).

    Example::

        oauth.register("cashsocial", client_cls=DjangoCashSocialApp, oauth=oauth)
    """

    def read_config(self, oauth: Any, name: str) -> _config.ConfigRead:
        """``AUTHLIB_OAUTH_CLIENTS[name]``, the dict Authlib's own
        ``load_config`` returns, every key of it."""
        return _config.read_mapping(
            oauth.load_config(name, ()), where=f"AUTHLIB_OAUTH_CLIENTS[{name!r}]"
        )

    def authorize_redirect(
        self,
        request: HttpRequest,
        redirect_uri: str | None = None,
        *,
        next: str | None = None,
    ) -> HttpResponse:
        """Redirect to ``{base}/api/oauth?app_id=…`` after recording a pending
        login. ``redirect_uri`` is accepted and ignored: the site always
        returns to the App Redirect URL registered with the app. A start
        that another site asked for (Fetch Metadata) gets a page with a link
        that starts it from this site instead (see *Security*)."""
        response: HttpResponse = self.login_response(request, next_url=next)
        return response

    def authorize_access_token(
        self, request: HttpRequest, **kwargs: Any
    ) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        return self.callback_token(request, **kwargs)

    def read_request(self, request: HttpRequest) -> _app.Incoming:
        return _app.Incoming(
            method=request.method,
            session=request.session,
            query_string=request.META.get("QUERY_STRING", ""),
            fetch_site=request.headers.get(_app.FETCH_SITE_HEADER),
            here=request.get_full_path(),
        )

    def redirect_response(self, url: str) -> HttpResponse:
        return HttpResponseRedirect(url)

    def page_response(
        self, page: str, status: int, headers: dict[str, str]
    ) -> HttpResponse:
        return HttpResponse(page, status=status, headers=headers)


def urlpatterns(
    remote: DjangoCashSocialApp,
    *,
    handle_login: _app.LoginHandler,
    handle_error: _app.ErrorHandler | None = None,
    login_path: str = "login/",
    callback_path: str = "auth/",
    name: str = "cashsocial",
) -> list[URLPattern]:
    """A login view and the callback view, for ``include()`` in a URLconf;
    the handlers work as
    :meth:`~authlib_cashsocial._app.CashSocialAppMixin.callback_response`
    says; ``handle_error`` defaults to a short 400 page.

    Example::

        urlpatterns = [path("cashsocial/", include(
            authlib_cashsocial.django_client.urlpatterns(
                oauth.cashsocial, handle_login=on_login)))]
    """

    def login(request: HttpRequest) -> HttpResponse:
        return remote.authorize_redirect(request, next=request.GET.get("next"))

    def callback(request: HttpRequest) -> HttpResponse:
        response: HttpResponse = remote.callback_response(
            request, handle_login=handle_login, handle_error=handle_error
        )
        return response

    return [
        path(login_path, login, name=f"{name}_login"),
        path(callback_path, callback, name=f"{name}_callback"),
    ]
