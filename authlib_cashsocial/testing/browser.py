"""A scripted user who clicks through the fake site's sign-in and consent pages."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import requests

__all__ = ["ScriptedBrowser"]

_FORM_ACTION = re.compile(r'<form method=post action="?([^"\s>]+)"?', re.IGNORECASE)
_CANCEL_LINK = re.compile(r'<a [^>]*id=cancel href="([^"]*)"', re.IGNORECASE)


def _cancel_link(page: str) -> str:
    match = _CANCEL_LINK.search(page)
    return html.unescape(match.group(1)) if match else "/"


class ScriptedBrowser:
    """Follows the login link as a person would, over real HTTP, and returns
    the callback URL the site sends them to (without requesting it).

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
                if not target.startswith(site):
                    return target
                response = self._get(http, target)
            elif "id=signin" in response.text:
                response = self._post(
                    http,
                    urljoin(site, "/signin"),
                    {
                        "username": username,
                        "password": password,
                        "next": self._field(response.text, "next"),
                    },
                )
            elif "id=approve" in response.text:
                if not approve:
                    self._get(http, urljoin(site, _cancel_link(response.text)))
                    return None
                action = _FORM_ACTION.search(response.text)
                if action is None:
                    raise RuntimeError("the consent page has no form")
                target = urljoin(site, html.unescape(action.group(1)))
                response = self._post(http, target, {})
            else:
                raise RuntimeError(
                    f"unexpected page at {response.url} (HTTP {response.status_code})"
                )
        raise RuntimeError("too many steps before reaching the app's callback")

    def _get(self, http: requests.Session, url: str) -> requests.Response:
        return http.get(url, allow_redirects=False, timeout=self.timeout)

    def _post(
        self, http: requests.Session, url: str, data: dict[str, str]
    ) -> requests.Response:
        return http.post(url, data=data, allow_redirects=False, timeout=self.timeout)

    @staticmethod
    def _field(page: str, name: str) -> str:
        match = re.search(rf'name={name} value="([^"]*)"', page)
        return html.unescape(match.group(1)) if match else "/"
