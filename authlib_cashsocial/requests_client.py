"""The requests client: Authlib's ``OAuth2Session`` speaking Sngine."""

from __future__ import annotations

from typing import Any

import requests
import urllib3
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.requests_client.utils import REQUESTS_SESSION_KWARGS

from ._client import ClientMixin
from ._requests_transport import DeadlineAdapter
from ._transport import ACCEPT_ENCODING, BodyReader, check_destination

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

    def __init__(self, *, pool_maxsize: int = 100) -> None:
        self.adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=pool_maxsize)

    @classmethod
    def for_client_kwargs(
        cls, client_kwargs: dict[str, Any], *, pool_size: int = 100
    ) -> SharedConnections:
        """The pool of a registered app, ``pool_size`` connections to the site
        kept alive at most."""
        # proxies, verify, cert... are session settings in requests: they keep
        # working over a shared adapter.
        return cls(pool_maxsize=pool_size)

    def close(self) -> None:
        self.adapter.close()


class CashSocialSession(ClientMixin, OAuth2Session):  # type: ignore[misc]
    """A ``requests`` session for one Sngine app, built on Authlib's
    ``OAuth2Session``.

    Options (keyword-only, besides ``OAuth2Session``'s own) are those of the
    *Configuration* page: ``base_url``, ``token_method``, ``token_lifetime``,
    ``timeout``, ``max_response_size``, ``allow_insecure``, ``uploads_url``;
    ``app_id`` and ``app_secret`` are aliases of the first two arguments. An
    unknown option raises :class:`~authlib_cashsocial.errors.ConfigurationError`.

    Example::

        session = CashSocialSession(APP_ID, APP_SECRET)
        url, state = session.create_authorization_url()   # send the user there
        # ... the site redirects to your App Redirect URL with ?auth_key=...
        session.fetch_token(authorization_response=request_url)
        profile = session.userinfo()   # {"sub": "123", "name": ..., ...}
    """

    http_keywords = REQUESTS_SESSION_KWARGS
    timeout_keyword = "default_timeout"
    # A session made with stream=True would otherwise stream these too.
    read_whole_options = (("stream", False),)
    # Reading the raw body (below) can raise urllib3's own errors.
    transport_errors = (requests.RequestException, urllib3.exceptions.HTTPError)
    timeout_errors = (requests.Timeout, urllib3.exceptions.TimeoutError)

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        connections: SharedConnections | None = kwargs.pop("connections", None)
        super().__init__(client_id, client_secret, **kwargs)
        self._shared = connections
        adapter = (
            connections.adapter
            if connections
            else DeadlineAdapter(pool_maxsize=self.dialect.settings.pool_size)
        )
        for prefix in _PREFIXES:
            self.mount(prefix, adapter)

    def close(self) -> None:
        """Close this session; a shared pool stays open for the next one."""
        if self._shared is not None:
            for prefix in _PREFIXES:
                if self.adapters.get(prefix) is self._shared.adapter:
                    del self.adapters[prefix]
        super().close()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        """requests' ``send``, to the site's origin only, following no
        redirect, and reading the body here, decoded, up to
        ``max_response_size`` (unless the caller streams)."""
        settings = self.dialect.settings
        check_destination(request.url or "", settings.endpoints.base_url)
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        caller_streams = bool(kwargs.get("stream"))
        # The dialect's response hook refuses a redirect; nothing is followed
        # even where a request's own hooks replace the session's.
        kwargs.update(stream=True, allow_redirects=False)
        response: requests.Response = super().send(request, **kwargs)
        if caller_streams:
            return response
        try:
            body = _read_body(response, settings.max_response_size)
        finally:
            response.close()
        # requests keeps a read body in Response._content, which has no public
        # setter (test_a_read_answer_describes_the_body_it_holds reads it back).
        response._content = body
        if response.headers.pop("Content-Encoding", None) is not None:
            # The headers describe the body held now, as httpx2's do.
            response.headers["Content-Length"] = str(len(body))
        return response


def _read_body(response: requests.Response, limit: int) -> bytes:
    """The raw body, decoded, of at most ``limit`` bytes either way."""
    reader = BodyReader.for_headers(response.headers, limit=limit)
    for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
        reader.feed(chunk)
    body = reader.body()
    if response.raw.length_remaining:  # urllib3 1.26 lets a short body pass
        raise urllib3.exceptions.ProtocolError("body shorter than Content-Length")
    return body
