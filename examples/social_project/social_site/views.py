"""The example's home page: social-app-django starts a login with a POST."""

from __future__ import annotations

from django.contrib.auth import logout as django_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.views.decorators.http import require_POST

HOME = engines["django"].from_string(
    """{% if user.is_authenticated %}
<p>Hello, {{ user.get_full_name|default:user.username }}!</p>
<form method="post" action="/logout">{% csrf_token %}<button>Log out</button></form>
{% else %}
<form method="post" action="{% url 'social:begin' 'cashsocial' %}">{% csrf_token %}
<button id="login">Log in with Cash Social Network</button></form>
{% endif %}"""
)


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(HOME.render({}, request))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    django_logout(request)
    return HttpResponseRedirect("/")
