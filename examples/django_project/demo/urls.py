"""URLs: the home page, log-out, and the two routes from authlib-cashsocial."""

from django.urls import include, path

from authlib_cashsocial.django_client import urlpatterns as cashsocial_urls

from . import views

urlpatterns = [
    path("", views.home),
    path("logout", views.logout),
    path(
        "cashsocial/",
        include(cashsocial_urls(views.cashsocial, handle_login=views.on_login)),
    ),
]
