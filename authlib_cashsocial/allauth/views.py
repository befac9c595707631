"""The provider's login and callback views.

Login: allauth's own ``BaseLoginView`` (a GET shows allauth's confirmation
form, which POSTs with Django's CSRF token, unless the site set
``SOCIALACCOUNT_LOGIN_ON_GET``). A start that the browser marks as coming
from another site gets that form whatever its method (a POST too), and a
method other than GET or POST is answered 405 and stores nothing: a ``HEAD``
(CORS-safelisted, and unchecked by Django's CSRF middleware) would otherwise
reach the redirect and stash a pending login for another site's page.

Callback, in this order: read and check the ``auth_key`` (a keyless or
malformed callback consumes nothing); take this browser's pending login out
of allauth's state storage and check its age; only then exchange the key and
fetch the user info through :class:`~authlib_cashsocial.CashSocialSession`.
Every failure goes through allauth's ``render_authentication_error``, with
the typed :class:`~authlib_cashsocial.errors.CashSocialError` as its
``exception`` and the pending login's state (so a headless start's failure
goes back to the single-page app, as allauth's OAuth 2 callback sends it);
with no pending login and a ``Strict`` session cookie, first allauth's
same-site ``login_redirect`` bounce.
"""

from __future__ import annotations

from typing import Any

from allauth import app_settings as allauth_settings
from allauth.account import app_settings as account_settings
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import (
    complete_social_login,
    render_authentication_error,
)
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.base.views import BaseLoginView
from allauth.utils import get_request_param
from django.conf import settings as django_settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View

from .._callback import auth_key_from_callback
from .._login_start import FETCH_SITE_HEADER, START_METHODS, is_foreign_start
from .._login_state import PendingRecord, no_pending_login
from ..errors import AuthKeyRejectedError, CashSocialError, PendingLoginError
from .provider import PENDING_KEY, CashSocialProvider

__all__ = ["CallbackView", "LoginView", "callback", "login"]


@method_decorator(login_not_required, name="dispatch")
class LoginView(BaseLoginView):  # type: ignore[misc]
    """allauth's login start: GET or POST only; a foreign start, whatever its
    method, gets the confirmation form."""

    provider_id = CashSocialProvider.id

    def get_provider(self) -> CashSocialProvider:
        return provider_for(self.request, self.kwargs.get("provider_id"))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if allauth_settings.HEADLESS_ONLY:
            raise Http404  # allauth's own answer, whatever the method
        if request.method not in START_METHODS:
            return HttpResponseNotAllowed(START_METHODS)
        if is_foreign_start(request.headers.get(FETCH_SITE_HEADER)):
            return render(
                request,
                f"socialaccount/login.{account_settings.TEMPLATE_EXTENSION}",
                {
                    "provider": self.get_provider(),
                    "process": get_request_param(request, "process"),
                },
            )
        return super().dispatch(request, *args, **kwargs)


login = LoginView.as_view()


@method_decorator(login_not_required, name="dispatch")
class CallbackView(View):  # type: ignore[misc]
    """The App Redirect URL: ``/accounts/cashsocial/login/callback/`` (or
    ``/accounts/cashsocial/<provider_id>/login/callback/``)."""

    http_method_names = ("get",)

    def get(self, request: HttpRequest, provider_id: str | None = None) -> HttpResponse:
        provider = provider_for(request, provider_id)
        state: dict[str, Any] | None = None
        try:
            try:
                auth_key = auth_key_from_callback(request.get_full_path())
            except CashSocialError:
                state = _peek_state(request, provider)  # left for the real one
                raise
            state = _take_state(request, provider)
            token, claims = _exchange(request, provider, state, auth_key)
        except CashSocialError as error:
            if state is None and (bounce := _strict_samesite_bounce(request, provider)):
                return bounce
            return render_authentication_error(
                request,
                provider,
                error=AuthError.UNKNOWN,
                exception=error,
                # allauth's headless mode reads "state" (the SPA's
                # callback_url and process) to send the failure back there.
                extra_context={"state": state, "cashsocial_error": error.error},
            )
        sociallogin = provider.sociallogin_from_response(request, claims)
        sociallogin.token = provider.social_token(token)
        sociallogin.state = state
        return complete_social_login(request, sociallogin)


def provider_for(request: HttpRequest, provider_id: str | None) -> CashSocialProvider:
    """The provider of the route's app: the provider's one app, or the app
    whose ``provider_id`` the route names (404 for another provider's)."""
    try:
        provider = get_adapter().get_provider(
            request, provider_id or CashSocialProvider.id
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    if not isinstance(provider, CashSocialProvider):
        raise Http404
    return provider


def _take_state(request: HttpRequest, provider: CashSocialProvider) -> dict[str, Any]:
    """Take this browser's pending login out of allauth's state storage, so
    that it can never be used again; raise
    :class:`~authlib_cashsocial.errors.PendingLoginError` if there is none."""
    try:
        state: dict[str, Any] = provider.unstash_redirect_state(
            request, provider.state_id
        )
    except PermissionDenied:
        raise no_pending_login() from None
    return state


def _peek_state(
    request: HttpRequest, provider: CashSocialProvider
) -> dict[str, Any] | None:
    """This browser's pending login, left in place (allauth's state storage
    has no read without a take: take it and put it back)."""
    try:
        state = _take_state(request, provider)
    except PendingLoginError:
        return None
    _restash(request, provider, state)
    return state


def _exchange(
    request: HttpRequest,
    provider: CashSocialProvider,
    state: dict[str, Any],
    auth_key: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the pending login's age, exchange the key and fetch the claims;
    return the token and the claims."""
    login = provider.stack_login()
    record = PendingRecord.from_value(state.get(PENDING_KEY))
    if record is None:
        raise no_pending_login()
    record.check(login.settings.login_timeout)
    try:
        token, claims = login.exchange(auth_key)
    except AuthKeyRejectedError:
        # An older tab's key, replaced at the site by a newer login: put
        # the pending login back so that the newer tab can finish (a
        # bounded number of times).
        again = record.after_rejected_key()
        if again is not None:
            _restash(request, provider, state, again)
        raise
    return token, dict(claims)


def _strict_samesite_bounce(
    request: HttpRequest, provider: CashSocialProvider
) -> HttpResponse | None:
    """With ``SESSION_COOKIE_SAMESITE = "Strict"`` the browser comes back
    from the site without the session cookie: answer allauth's
    ``login_redirect`` page, whose same-site navigation to this same URL (with
    ``_redir``) carries it, as allauth's ``OAuth2CallbackView`` does. Once
    only (``_redir``), and only for a GET."""
    samesite = django_settings.SESSION_COOKIE_SAMESITE
    if (
        not isinstance(samesite, str)
        or samesite.lower() != "strict"
        or "_redir" in request.GET
        or request.method != "GET"
    ):
        return None
    # Appended as text: the site may have sent ``?...?auth_key=``, which a
    # re-encoded query would turn into one value.
    here = request.get_full_path()
    redirect_to = here + ("&" if "?" in here else "?") + "_redir="
    return render(
        request,
        f"socialaccount/login_redirect.{account_settings.TEMPLATE_EXTENSION}",
        {
            "provider": provider,
            "redirect_to": redirect_to,
        },
    )


def _restash(
    request: HttpRequest,
    provider: CashSocialProvider,
    state: dict[str, Any],
    record: PendingRecord | None = None,
) -> None:
    rest = dict(state)
    process = rest.pop("process", None)
    next_url = rest.pop("next", None)
    data = rest.pop("data", None)
    if record is not None:
        rest[PENDING_KEY] = record.as_dict()
    provider.stash_redirect_state(
        request, process, next_url, data, state_id=provider.state_id, **rest
    )


callback = CallbackView.as_view()
