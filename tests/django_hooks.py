"""What the test Django configuration loads once Django is set up: an allauth
adapter and a social-app-django error middleware that keep each error they
handle (the pages themselves are the stacks' own), and the views of the test
project. Imported by Django only (``settings.configure`` in ``tests.apps``).
Each stack's parts exist where that stack is installed (``installed_stacks``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token

from .apps import installed_stacks

STACKS = installed_stacks()
#: Every exception the stacks' error pages were shown for, oldest first.
ERRORS: list[BaseException] = []

if "allauth" in STACKS:
    from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

    class RecordingSocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
        def on_authentication_error(
            self,
            request: HttpRequest,
            provider: Any,
            error: Any = None,
            exception: Any = None,
            extra_context: Any = None,
        ) -> None:
            ERRORS.append(exception)
            super().on_authentication_error(
                request, provider, error, exception, extra_context
            )


if "social" in STACKS:
    from social_django.middleware import SocialAuthExceptionMiddleware

    from authlib_cashsocial.social import CashSocialAuth

    class SecondSiteAuth(CashSocialAuth):
        """A second Sngine site beside the first, as the docs say: a backend
        of its own (``SOCIAL_AUTH_SECONDSITE_*`` settings)."""

        name = "secondsite"
        title = "Second Sngine site"

    class RecordingSocialAuthExceptionMiddleware(SocialAuthExceptionMiddleware):  # type: ignore[misc]
        def render_error(self, request: HttpRequest, exception: Any) -> HttpResponse:
            ERRORS.append(exception)
            return super().render_error(request, exception)


def me(request: HttpRequest) -> JsonResponse:
    """Who is logged in, with what the stacks stored about them."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse(None, safe=False)
    allauth = social = None
    verified: list[str] = []
    if "allauth" in STACKS:
        from allauth.account.models import EmailAddress
        from allauth.socialaccount.models import SocialAccount

        allauth = SocialAccount.objects.filter(user=user, provider="cashsocial").first()
        verified = [
            e.email for e in EmailAddress.objects.filter(user=user, verified=True)
        ]
    if "social" in STACKS:
        from social_django.models import UserSocialAuth

        social = UserSocialAuth.objects.filter(user=user, provider="cashsocial").first()
    return JsonResponse(
        {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "verified_emails": sorted(verified),
            "allauth": None
            if allauth is None
            else {
                "uid": allauth.uid,
                "extra_data": allauth.extra_data,
                "profile": allauth.get_profile_url(),
                "avatar": allauth.get_avatar_url(),
                "str": str(allauth),
            },
            "social": None
            if social is None
            else {"uid": social.uid, "extra_data": social.extra_data},
        }
    )


def home(request: HttpRequest) -> HttpResponse:
    """Both stacks' login entry points, as a site's templates write them:
    allauth's template tag, social-app-django's POST form."""
    from django.template import engines

    allauth = (
        "{% load socialaccount %}"
        '<a id="allauth-login" href="{% provider_login_url \'cashsocial\' %}">'
        "Log in with Cash Social Network (allauth)</a>"
    )
    social = (
        "<form method=\"post\" action=\"{% url 'social:begin' 'cashsocial' %}\">"
        "{% csrf_token %}"
        '<button id="social-login">Log in with Cash Social Network (social)'
        "</button></form>"
    )
    page = engines["django"].from_string(
        ("allauth" in STACKS) * allauth + ("social" in STACKS) * social
    )
    return HttpResponse(page.render({}, request))


def csrf(request: HttpRequest) -> HttpResponse:
    """A CSRF token (and its cookie) for the test browser's POSTs."""
    return HttpResponse(get_token(request))


def logout(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout as django_logout

    django_logout(request)
    return HttpResponse("bye")
