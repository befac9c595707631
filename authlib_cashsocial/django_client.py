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

from . import _app
from .errors import CashSocialError, CrossSiteLoginError

__all__ = ["DjangoCashSocialApp", "urlpatterns"]


class DjangoCashSocialApp(_app.CashSocialAppMixin, DjangoOAuth2App):  # type: ignore[misc]
    """Authlib's Django app class for an Sngine site (what ``register``
    creates for a Django registry).

    Example::

        oauth.register("cashsocial", client_cls=DjangoCashSocialApp)
    """

    config_key_hint = "AUTHLIB_OAUTH_CLIENTS['{name}']['{option}']"

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
        try:
            url = self.begin_login(
                request.session,
                fetch_site=request.headers.get(_app.FETCH_SITE_HEADER),
                next_url=next,
            )
        except CrossSiteLoginError:
            page, headers = self.confirmation(request.get_full_path())
            return HttpResponse(page, content_type="text/html", headers=headers)
        return HttpResponseRedirect(url)

    def authorize_access_token(
        self, request: HttpRequest, **kwargs: Any
    ) -> dict[str, Any]:
        """Check and consume the pending login, exchange the callback's
        ``auth_key`` and return the token with ``userinfo`` already fetched.
        ``kwargs`` are request options for the exchange (``headers``,
        ``timeout``, ...); anything else is refused."""
        token, _pending = self.finish_login(
            request.session, request.META.get("QUERY_STRING", ""), **kwargs
        )
        return token


def _default_error(_request: HttpRequest, error: CashSocialError) -> HttpResponse:
    return HttpResponse(_app.error_page(error), status=400, content_type="text/html")


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
    the handlers work as :func:`~authlib_cashsocial._app.run_callback` says;
    ``handle_error`` defaults to a short 400 page.

    Example::

        urlpatterns = [path("cashsocial/", include(
            authlib_cashsocial.django_client.urlpatterns(
                oauth.cashsocial, handle_login=on_login)))]
    """
    on_error = handle_error or _default_error

    def login(request: HttpRequest) -> HttpResponse:
        return remote.authorize_redirect(request, next=request.GET.get("next"))

    def callback(request: HttpRequest) -> HttpResponse:
        response: HttpResponse = _app.run_callback(
            remote,
            request,
            request.session,
            request.META.get("QUERY_STRING", ""),
            handle_login=handle_login,
            handle_error=on_error,
            redirect=HttpResponseRedirect,
        )
        return response

    return [
        path(login_path, login, name=f"{name}_login"),
        path(callback_path, callback, name=f"{name}_callback"),
    ]
