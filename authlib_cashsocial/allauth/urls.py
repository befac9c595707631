"""The provider's routes; allauth's ``allauth.urls`` includes them.

``cashsocial/login/`` and its callback serve the one app of the provider;
``cashsocial/<provider_id>/login/`` and its callback serve the app whose
``provider_id`` it is (allauth's provider instances: one per Sngine site).
"""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("cashsocial/login/", views.login, name="cashsocial_login"),
    path("cashsocial/login/callback/", views.callback, name="cashsocial_callback"),
    path("cashsocial/<str:provider_id>/login/", views.login, name="cashsocial_login"),
    path(
        "cashsocial/<str:provider_id>/login/callback/",
        views.callback,
        name="cashsocial_callback",
    ),
]
