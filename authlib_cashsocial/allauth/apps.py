"""The Django app of the allauth provider (its own label: allauth's top-level
app is already called ``allauth``)."""

from __future__ import annotations

from django.apps import AppConfig


class CashSocialAllauthConfig(AppConfig):  # type: ignore[misc]
    name = "authlib_cashsocial.allauth"
    label = "cashsocial_allauth"
    verbose_name = "Cash Social Network (django-allauth provider)"
