"""Sphinx configuration for authlib-cashsocial."""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.application import Sphinx

import authlib_cashsocial

ROOT = Path(__file__).resolve().parent.parent

project = "authlib-cashsocial"
author = "authlib-cashsocial developers"
copyright = "2026, authlib-cashsocial developers"
release = authlib_cashsocial.__version__

# myst_parser: the Changelog page includes CHANGELOG.md, written in Markdown
# for the repository and the package index.
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",
]

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
# No default "members": Sphinx 9 lets a default True override a directive's
# own list (":members: fetch_token, userinfo" documented every method, the
# internals too). Each directive says what it documents.
autodoc_default_options = {"show-inheritance": True}

# No network here: names from other projects cannot be resolved through
# intersphinx, so references into them are not checked (ours all are).
nitpick_ignore_regex = [
    # The API reference documents the public API only: a public docstring's
    # reference to a private module's object (for contributors reading the
    # source) shows as its name, unlinked.
    (r"py:.*", r"(authlib_cashsocial\._|CashSocialAppMixin\.).*"),
    (r"py:.*", r"(authlib|requests|httpx2|werkzeug|_typeshed|waitress|pytest)(\..*)?"),
    (r"py:.*", r"(flask|starlette|django)(\..*)?"),
    (
        r"py:.*",
        r"authlib_cashsocial\.(_app\._AppBase|_client\._ClientBase"
        r"|_requests_build\._LeanOAuth2Session)",
    ),
    (r"py:.*", r"(Any|T|Placement|TokenMethod|HTTPResponse|UserInfo|OAuthError)"),
    (r"py:.*", r"Session"),
    (r"py:.*", r"(OAuth2Session|OAuth2Client|AsyncOAuth2Client|Response|Request)"),
    (r"py:.*", r"(collections\.abc|typing|logging|_lock)\..*"),
    (
        r"py:.*",
        r"authlib_cashsocial\.(_dialect\.(T|_TokenResponse)|_responses\.HTTPResponse)",
    ),
    (r"py:.*", r"(StartResponse|Iterable\[bytes\]|FixtureRequest|FakeSngine)"),
]


class OptionsTable(Directive):
    """``.. cashsocial-options::``: the options table, from the package's own
    list (``_options.OPTIONS``), so the docs cannot drift from the code."""

    def run(self) -> list[nodes.Node]:
        from authlib_cashsocial._options import OPTIONS

        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 18 22 60",
            "",
            "   * - Option",
            "     - Default",
            "     - Meaning",
        ]
        for option in OPTIONS:
            if option.name in ("client_id", "client_secret"):
                default = "required"
            elif option.default is None:
                default = "—"
            else:
                default = f"``{option.default!r}``"
            lines += [
                f"   * - ``{option.name}``",
                f"     - {default}",
                f"     - {option.meaning}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def _is_private(cls: type) -> bool:
    path = f"{cls.__module__}.{cls.__qualname__}"
    return any(part.startswith("_") for part in path.split("."))


def public_bases(
    app: Sphinx, name: str, obj: object, options: object, bases: list[type]
) -> None:
    """A public class's "Bases" as a user may rely on them: a private base
    (``ClientMixin``, ``_LeanOAuth2Session``) stands aside for its own public
    bases (Authlib's ``OAuth2Session``)."""

    def public(cls: type) -> list[type]:
        if not _is_private(cls):
            return [cls]
        return [p for base in cls.__bases__ if base is not object for p in public(base)]

    shown: list[type] = []
    for base in bases:
        shown += [p for p in public(base) if p not in shown]
    bases[:] = shown


class ConfigKeysTable(Directive):
    """``.. cashsocial-config-keys::``: the key of each option in each
    framework's configuration, from the readers' own spelling
    (``_config.keys_for``)."""

    def run(self) -> list[nodes.Node]:
        from authlib_cashsocial._config import keys_for
        from authlib_cashsocial._options import OPTIONS

        columns = list(keys_for("base_url"))
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - Option",
            *(f"     - {column}" for column in columns),
        ]
        for option in OPTIONS:
            if option.name in ("app_id", "app_secret"):
                continue  # aliases: CASHSOCIAL_APP_ID works as well
            keys = keys_for(option.name)
            lines.append(f"   * - ``{option.name}``")
            lines += [f"     - ``{keys[column]}``" for column in columns]
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> None:
    app.add_directive("cashsocial-options", OptionsTable)
    app.connect("autodoc-process-bases", public_bases)
    app.add_directive("cashsocial-config-keys", ConfigKeysTable)
