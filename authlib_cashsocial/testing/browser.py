"""A scripted user who clicks through the fake site's sign-in and consent pages."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin, urlsplit

import requests

__all__ = ["ScriptedBrowser"]

# What a browser sees of Sngine's pages: the sign-in form and the consent
# page's "Continue" button post by XHR (the site's JavaScript), "Cancel" is
# a plain link.
_SIGN_IN_FORM = re.compile(r'<form\b[^>]*\bdata-url="core/signin\.php"', re.IGNORECASE)
_APPROVE_BUTTON = re.compile(
    r'<button\b[^>]*class="[^"]*js_developers-oauth-app[^"]*"[^>]*>', re.IGNORECASE
)
_DATA_ID = re.compile(r'\bdata-id="([^"]*)"')
_CANCEL_LINK = re.compile(r'<a href="([^"]*)" class="btn[^"]*"[^>]*>\s*Cancel\s*</a>')
_SITE_PATH = re.compile(r"var site_path = (\"[^\"]*\")")
_XHR = {"X-Requested-With": "XMLHttpRequest"}
_RELOAD = "window.location.reload();"


class ScriptedBrowser:
    """Follows the login link as a person would, over real HTTP, and returns
    the callback URL the site sends them to (without requesting it).

    It does what a browser with the site's JavaScript does: the sign-in form
    and the consent page's "Continue" are XHR POSTs to ``includes/ajax/``
    (with ``X-Requested-With``), then the page reloads (after signing in) or
    goes to the ``redirect_url`` of the JSON answer (after approving).

    Each member gets a browser of their own (a cookie jar): logging in as bob
    after alice signs bob in, where one shared jar would find alice still
    signed in at the site and return her callback.

    Example::

        browser = ScriptedBrowser()
        callback = browser.log_in(url, username="alice", password="wonderland")
        session.fetch_token(authorization_response=callback)
    """

    def __init__(self, *, max_steps: int = 8, timeout: float = 10.0) -> None:
        self.max_steps = max_steps
        self.timeout = timeout
        self._jars: dict[str, requests.Session] = {}

    def jar(self, username: str) -> requests.Session:
        """The HTTP session (cookies included) of ``username``'s browser."""
        if username not in self._jars:
            self._jars[username] = requests.Session()
        return self._jars[username]

    def close(self) -> None:
        for http in self._jars.values():
            http.close()
        self._jars.clear()

    def log_in(
        self,
        authorization_url: str,
        *,
        username: str,
        password: str,
        approve: bool = True,
    ) -> str | None:
        """Sign in if asked, approve (or cancel) the app, and return the URL
        the site redirects to; ``None`` when the user cancelled (the site then
        sends them to its home page and the app hears nothing)."""
        site = urljoin(authorization_url, "/")
        http = self.jar(username)
        response = self._get(http, authorization_url)
        for _ in range(self.max_steps):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if not _same_origin(target, site):
                    return target
                response = self._get(http, target)
            elif _SIGN_IN_FORM.search(response.text):
                answer = self._xhr(
                    http,
                    response.text,
                    site,
                    "core/signin.php",
                    {"username_email": username, "password": password},
                )
                if answer.get("callback") != _RELOAD:
                    raise RuntimeError(f"sign-in refused: {answer.get('message')}")
                response = self._get(http, response.url)  # the page reloads
            elif button := _APPROVE_BUTTON.search(response.text):
                if not approve:
                    cancel = _CANCEL_LINK.search(response.text)
                    home = html.unescape(cancel.group(1)) if cancel else site
                    self._get(http, urljoin(response.url, home))
                    return None
                app_id = _DATA_ID.search(button.group(0))
                answer = self._xhr(
                    http,
                    response.text,
                    site,
                    "developers/app.php",
                    {
                        "do": "oauth",
                        "id": html.unescape(app_id.group(1)) if app_id else "",
                    },
                )
                redirect_url = answer.get("redirect_url")
                if not isinstance(redirect_url, str):
                    raise RuntimeError(f"approval refused: {answer}")
                target = urljoin(response.url, redirect_url)
                if not _same_origin(target, site):
                    return target
                response = self._get(http, target)
            else:
                raise RuntimeError(
                    f"unexpected page at {response.url} (HTTP {response.status_code})"
                )
        raise RuntimeError("too many steps before reaching the app's callback")

    def _get(self, http: requests.Session, url: str) -> requests.Response:
        return http.get(url, allow_redirects=False, timeout=self.timeout)

    def _xhr(
        self,
        http: requests.Session,
        page: str,
        site: str,
        script: str,
        data: dict[str, str],
    ) -> dict[str, object]:
        """The page's JavaScript: POST to ``{site_path}/includes/ajax/...``."""
        site_path = _SITE_PATH.search(page)
        base = json.loads(site_path.group(1)) if site_path else site.rstrip("/")
        answer = http.post(
            f"{base}/includes/ajax/{script}",
            data=data,
            headers=_XHR,
            allow_redirects=False,
            timeout=self.timeout,
        )
        try:
            decoded = answer.json()
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            raise RuntimeError(
                f"the site answered {script} with HTTP {answer.status_code}, not JSON"
            )
        return decoded


def _same_origin(url: str, site: str) -> bool:
    """Whether ``url`` is on ``site`` (``http://localhost`` and
    ``http://localhost:80`` are one origin, as for a browser)."""
    a, b = urlsplit(url), urlsplit(site)
    default = {"http": 80, "https": 443}
    return (a.scheme, a.hostname, a.port or default.get(a.scheme)) == (
        b.scheme,
        b.hostname,
        b.port or default.get(b.scheme),
    )
