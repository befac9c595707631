"""The example's home page: allauth's own template tag links the login."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines

HOME = engines["django"].from_string(
    """{% load socialaccount %}
{% if user.is_authenticated %}
<p>Hello, {{ user.get_full_name|default:user.username }}!</p>
<form method="post" action="{% url 'account_logout' %}">{% csrf_token %}
<button>Log out</button></form>
{% else %}
<a id="login" href="{% provider_login_url 'cashsocial' %}">
Log in with Cash Social Network</a>
{% endif %}"""
)


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(HOME.render({}, request))
