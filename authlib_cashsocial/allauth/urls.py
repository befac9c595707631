"""The provider's two routes; allauth's ``allauth.urls`` includes them."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("cashsocial/login/", views.login, name="cashsocial_login"),
    path("cashsocial/login/callback/", views.callback, name="cashsocial_callback"),
]
