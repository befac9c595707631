"""URLs: the home page and allauth's (which include the provider's)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home),
    path("accounts/", include("allauth.urls")),
]
