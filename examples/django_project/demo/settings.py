"""Settings of the example project: sessions in signed cookies, no database.

Everything that differs between sites comes from the environment (see
``demo/environment.py``): never a default ``SECRET_KEY``, since anyone who
knows the key can sign a session cookie that says they are logged in.
"""

import os

from authlib_cashsocial import DEFAULT_BASE_URL

SECRET_KEY = os.environ.get("SECRET_KEY", "")  # Django refuses to run with ""
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "demo.urls"
INSTALLED_APPS = ["django.contrib.sessions"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
USE_TZ = True

# Read by Authlib for every provider; authlib-cashsocial also reads its own
# options (base_url, token_method, ...) from the same entry.
AUTHLIB_OAUTH_CLIENTS = {
    "cashsocial": {
        "client_id": os.environ.get("CASHSOCIAL_CLIENT_ID"),
        "client_secret": os.environ.get("CASHSOCIAL_CLIENT_SECRET"),
        "base_url": os.environ.get("CASHSOCIAL_BASE_URL", DEFAULT_BASE_URL),
    }
}

# runserver's request lines show the callback's auth_key: manage.py and
# run.py call authlib_cashsocial.redact_access_logs() at start-up.
