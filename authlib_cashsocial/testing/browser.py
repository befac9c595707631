"""A scripted user who clicks through the fake site's sign-in and consent pages."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import requests

__all__ = ["ScriptedBrowser"]

_FORM_ACTION = re.compile(r'<form method=post action="?([^"\s>]+)"?', re.IGNORECASE)


class ScriptedBrowser:
    """Follows the login link as a person would, over real HTTP, and returns
    the callback URL the site sends them to (without requesting it).

    Example::

        browser = ScriptedBrowser()
        callback = browser.log_in(url, username="alice", password="wonderland")
        session.fetch_token(authorization_response=callback)
    """

    def __init__(self, *, max_steps: int = 8, timeout: float = 10.0) -> None:
        self.http = requests.Session()
        self.max_steps = max_steps
        self.timeout = timeout

    def close(self) -> None:
        self.http.close()

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
        response = self._get(authorization_url)
        for _ in range(self.max_steps):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if not target.startswith(site):
                    return target
                response = self._get(target)
            elif "id=signin" in response.text:
                response = self._post(
                    urljoin(site, "/signin"),
                    {
                        "username": username,
                        "password": password,
                        "next": self._field(response.text, "next"),
                    },
                )
            elif "id=approve" in response.text:
                if not approve:
                    self._get(urljoin(site, "/"))
                    return None
                action = _FORM_ACTION.search(response.text)
                if action is None:
                    raise RuntimeError("the consent page has no form")
                response = self._post(urljoin(site, html.unescape(action.group(1))), {})
            else:
                raise RuntimeError(
                    f"unexpected page at {response.url} (HTTP {response.status_code})"
                )
        raise RuntimeError("too many steps before reaching the app's callback")

    def _get(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False, timeout=self.timeout)

    def _post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(
            url, data=data, allow_redirects=False, timeout=self.timeout
        )

    @staticmethod
    def _field(page: str, name: str) -> str:
        match = re.search(rf'name={name} value="([^"]*)"', page)
        return html.unescape(match.group(1)) if match else "/"
