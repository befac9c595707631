"""Sphinx configuration for authlib-cashsocial."""

from __future__ import annotations

import authlib_cashsocial

project = "authlib-cashsocial"
author = "authlib-cashsocial developers"
copyright = "2026, authlib-cashsocial developers"
release = authlib_cashsocial.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
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
