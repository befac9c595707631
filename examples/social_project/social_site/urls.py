"""URLs: the home page, log-out, and social_django's (login/, complete/)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home),
    path("logout", views.logout),
    path("", include("social_django.urls", namespace="social")),
]
