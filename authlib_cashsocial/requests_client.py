"""The requests client: Authlib's ``OAuth2Session`` speaking Sngine."""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import UserInfo
from requests.adapters import HTTPAdapter

from .client_base import CashSocialClientMixin
from .compliance import read_bounded, transport_error
from .errors import CashSocialError

__all__ = ["CashSocialSession", "SharedConnections"]

_PREFIXES = ("https://", "http://")
CHUNK_SIZE = 64 * 1024


class SharedConnections:
    """One pool of keep-alive connections to the site, shared by every
    session a registered app creates (Authlib makes a new session per call).

    urllib3's pool behind it is thread-safe; ``close()`` closes its idle
    connections (the Flask and Django apps call it from their ``close()``).

    Example::

        connections = SharedConnections()
        with CashSocialSession(APP_ID, SECRET, connections=connections) as s:
            ...                      # the session's close() leaves the pool open
        connections.close()
    """

    def __init__(self, *, pool_maxsize: int = 10) -> None:
        self.adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize)

    @classmethod
    def for_client_kwargs(cls, client_kwargs: dict[str, Any]) -> SharedConnections:
        # proxies, verify, cert... are session settings in requests: they keep
        # working over a shared adapter.
        return cls()

    def close(self) -> None:
        self.adapter.close()


class CashSocialSession(CashSocialClientMixin, OAuth2Session):  # type: ignore[misc]
    """A ``requests`` session for one Sngine app, built on Authlib's
    ``OAuth2Session``.

    Options (keyword-only, besides ``OAuth2Session``'s own): ``base_url``,
    ``token_method`` (``auto``/``post``/``get``), ``token_lifetime``,
    ``timeout``, ``allow_insecure``, ``uploads_url``; ``app_id`` and
    ``app_secret`` are aliases of the first two arguments.

    Example::

        session = CashSocialSession(APP_ID, APP_SECRET)
        url, state = session.create_authorization_url()   # send the user there
        # ... the site redirects to your App Redirect URL with ?auth_key=...
        session.fetch_token(authorization_response=request_url)
        profile = session.userinfo()   # {"sub": "123", "name": ..., ...}
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        fix = self._compliance_from(client_id, client_secret, kwargs)
        connections: SharedConnections | None = kwargs.pop("connections", None)
        kwargs.setdefault("default_timeout", fix.settings.timeout)
        OAuth2Session.__init__(self, **self._authlib_kwargs(fix, kwargs))
        self.compliance = fix
        fix(self)
        self._shared = connections
        if connections is not None:
            for prefix in _PREFIXES:
                self.mount(prefix, connections.adapter)

    def close(self) -> None:
        """Close this session; a shared pool stays open for the next one."""
        if self._shared is not None:
            for prefix in _PREFIXES:
                if self.adapters.get(prefix) is self._shared.adapter:
                    del self.adapters[prefix]
        super().close()

    def fetch_token(
        self,
        url: str | None = None,
        *,
        auth_key: str | None = None,
        authorization_response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Exchange an ``auth_key`` (or the callback URL that carries it) for
        an access token: ``{"access_token", "token_type", "expires_in",
        "expires_at"}``."""
        params = self._exchange_params(url, auth_key, authorization_response, kwargs)
        return self.compliance.token_exchange(
            lambda method: OAuth2Session.fetch_token(self, method=method, **params)
        )

    def request(
        self,
        method: str,
        url: str,
        withhold_token: bool = False,
        auth: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        self._check_token(withhold_token=withhold_token, default_auth=auth is None)
        caller_streams = bool(kwargs.get("stream"))
        kwargs["stream"] = True  # read below, up to max_response_size
        failure: CashSocialError
        try:
            resp: requests.Response = super().request(
                method, url, withhold_token=withhold_token, auth=auth, **kwargs
            )
            if caller_streams:
                return resp
            limit = self.compliance.settings.max_response_size
            try:
                body = read_bounded(resp.iter_content(CHUNK_SIZE), limit)
            finally:
                resp.close()
            # requests keeps a read body in _content; it has no public setter.
            resp._content = body
            return resp
        except requests.Timeout as exc:
            failure = transport_error(exc, timed_out=True)
        except requests.RequestException as exc:
            failure = transport_error(exc, timed_out=False)
        # Raised here, outside the handler, so no exception quoting the URL
        # is chained to it.
        raise failure

    def userinfo(self, **kwargs: Any) -> UserInfo:
        """The signed-in user's normalized claims (see *Normalized claims*)."""
        return self.compliance.userinfo_from_response(
            self.get(self.userinfo_url, **kwargs)
        )
