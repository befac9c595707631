"""The example's views: a home page and a log-out link."""

from __future__ import annotations

import atexit
import html

from authlib.integrations.django_client import OAuth
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

import authlib_cashsocial

oauth = OAuth()
cashsocial = authlib_cashsocial.register(oauth)  # credentials from settings
atexit.register(cashsocial.close)  # the pooled connections to the site


def on_login(request: HttpRequest, token: dict, user: dict) -> None:
    # A new session id on login: an id planted before it (a sibling
    # subdomain can write cookies for the parent domain) never logs in.
    request.session.cycle_key()
    request.session["user"] = user


def home(request: HttpRequest) -> HttpResponse:
    user = request.session.get("user")
    if not user:
        return HttpResponse(
            '<a href="/cashsocial/login/">Log in with Cash Social Network</a>'
        )
    return HttpResponse(
        f"<p>Hello, {html.escape(user['name'])}!</p><a href='/logout'>Log out</a>"
    )


def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop("user", None)
    return HttpResponseRedirect("/")
