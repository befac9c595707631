"""Sphinx configuration for authlib-cashsocial."""

from __future__ import annotations

from pathlib import Path

import authlib_cashsocial

ROOT = Path(__file__).resolve().parent.parent

project = "authlib-cashsocial"
author = "authlib-cashsocial developers"
copyright = "2026, authlib-cashsocial developers"
release = authlib_cashsocial.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.viewcode"]

# Every Python example in these pages is a ``testcode`` block that
# ``make docs`` runs (``sphinx-build -b doctest``) against a fresh fake site:
# BASE_URL, APP_ID, APP_SECRET, a ``callback_url`` and its ``auth_key`` are
# ready, and ``log_in(url)`` clicks through the site's pages like a user.
doctest_global_setup = f"""
__name__ = "docs_example"  # what Flask(__name__) sees in an example
import contextlib, sys
sys.path.insert(0, {str(ROOT)!r})
from authlib_cashsocial.testing import ScriptedBrowser, demo_site
_stack = contextlib.ExitStack()
_site = _stack.enter_context(demo_site(redirect_url="http://127.0.0.1:5000/auth"))
BASE_URL, APP_ID, APP_SECRET = _site.base_url, _site.app.app_id, _site.app.app_secret

_browsers = {{}}

def log_in(url=None, user="alice"):
    url = url or f"{{BASE_URL}}/api/oauth?app_id={{APP_ID}}"
    if user not in _browsers:
        _browsers[user] = _stack.enter_context(contextlib.closing(ScriptedBrowser()))
    password = _site.users[user].password
    return _browsers[user].log_in(url, username=user, password=password)

callback_url = log_in()
auth_key = callback_url.rsplit("=", 1)[1]
"""
doctest_global_cleanup = "_stack.close()"
html_theme = "furo"
html_title = "authlib-cashsocial"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# No network here: names from other projects cannot be resolved through
# intersphinx, so references into them are not checked (ours all are).
nitpick_ignore_regex = [
    (r"py:.*", r"(authlib|requests|httpx2|werkzeug|_typeshed|waitress|pytest)(\..*)?"),
    (r"py:.*", r"(flask|starlette|django)(\..*)?"),
    (r"py:.*", r"authlib_cashsocial\.remote_app\._AppBase"),
    (r"py:.*", r"(Any|T|Placement|TokenMethod|HTTPResponse|UserInfo|OAuthError)"),
    (r"py:.*", r"(OAuth2Session|OAuth2Client|AsyncOAuth2Client|Response|Request)"),
    (r"py:.*", r"(collections\.abc|typing|logging|_lock)\..*"),
    (
        r"py:.*",
        r"authlib_cashsocial\.(compliance\.(T|HTTPResponse|_TokenResponse)|client_base\..*)",
    ),
    (r"py:.*", r"(StartResponse|Iterable\[bytes\]|FixtureRequest|FakeSngine)"),
]
