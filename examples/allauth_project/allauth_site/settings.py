"""Settings of the django-allauth example: allauth as its docs set it up, plus
one app and one provider entry."""

import os

from authlib_cashsocial import DEFAULT_BASE_URL

# Never a default: anyone who knows the key can sign a session cookie.
SECRET_KEY = os.environ.get("SECRET_KEY", "")  # Django refuses to run with ""
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "allauth_site.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "authlib_cashsocial.allauth",  # the provider "cashsocial"
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", "db.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LOGIN_REDIRECT_URL = "/"
ACCOUNT_EMAIL_VERIFICATION = "none"

SOCIALACCOUNT_PROVIDERS = {
    "cashsocial": {
        "APPS": [
            {
                "client_id": os.environ.get("CASHSOCIAL_CLIENT_ID"),
                "secret": os.environ.get("CASHSOCIAL_CLIENT_SECRET"),
                "settings": {
                    "base_url": os.environ.get("CASHSOCIAL_BASE_URL", DEFAULT_BASE_URL)
                },
            }
        ]
    }
}
