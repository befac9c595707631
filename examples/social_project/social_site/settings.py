"""Settings of the python-social-auth example: social_django as its docs set
it up, plus the backend and its three settings."""

import os

from authlib_cashsocial import DEFAULT_BASE_URL

# Never a default: anyone who knows the key can sign a session cookie.
SECRET_KEY = os.environ.get("SECRET_KEY", "")  # Django refuses to run with ""
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "social_site.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "social_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "authlib_cashsocial.social.CashSocialAuth",
    "django.contrib.auth.backends.ModelBackend",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
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

SOCIAL_AUTH_CASHSOCIAL_KEY = os.environ.get("CASHSOCIAL_CLIENT_ID")
SOCIAL_AUTH_CASHSOCIAL_SECRET = os.environ.get("CASHSOCIAL_CLIENT_SECRET")
SOCIAL_AUTH_CASHSOCIAL_BASE_URL = os.environ.get(
    "CASHSOCIAL_BASE_URL", DEFAULT_BASE_URL
)
