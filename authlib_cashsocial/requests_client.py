"""The requests client: Authlib's ``OAuth2Session`` speaking Sngine."""

from __future__ import annotations

from typing import Any

import requests
import urllib3
from authlib.integrations.base_client import BaseApp
from requests.auth import AuthBase

from ._client import ClientMixin
from ._dialect import SngineDialect
from ._requests_build import (
    REQUESTS_SESSION_KWARGS,
    Prototypes,
    _LeanOAuth2Session,
    prototype_key,
)
from ._requests_prepare import prepare_plainly
from ._requests_transport import DeadlineAdapter
from ._transport import (
    ACCEPT_ENCODING,
    BodyReader,
    check_destination,
    redirect_error,
)

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


class _CredentialsCarried(AuthBase):
    """The ``auth`` of a request that carries its credentials already (the
    exchange's form, the user info's signed URL): nothing else is added
    (without an ``auth``, requests would look up ``~/.netrc`` credentials
    for the site)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_CREDENTIALS_CARRIED = _CredentialsCarried()

# What a prototype's key may hold besides plain values (and these objects'
# methods, such as a registered app's update_token): objects made once and
# shared by every session of an app. Any other argument gets a build.
_LONG_LIVED = (SngineDialect, SharedConnections, BaseApp)


class CashSocialSession(ClientMixin, _LeanOAuth2Session):
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
    carried_credentials_auth = _CREDENTIALS_CARRIED
    # A session made with stream=True would otherwise stream these too.
    read_whole_options = (("stream", False),)
    # Reading the raw body (below) can raise urllib3's own errors.
    transport_errors = (requests.RequestException, urllib3.exceptions.HTTPError)
    timeout_errors = (requests.Timeout, urllib3.exceptions.TimeoutError)

    #: Sessions of this class (not of a subclass, whose build may do more)
    #: over a shared pool, built with equal arguments, are copied from one
    #: prototype per set of arguments (see ``_requests_build``).
    _prototypes = Prototypes()

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        key = (
            prototype_key(cls, client_id, client_secret, kwargs, _LONG_LIVED)
            if (cls := type(self)) is CashSocialSession
            and isinstance(kwargs.get("connections"), SharedConnections)
            else None
        )
        copier = None
        if key is not None:

            def build() -> Any:
                session = cls.__new__(cls)
                session._build(client_id, client_secret, dict(kwargs))
                return session

            copier = self._prototypes.copier(key, build)
        if copier is not None:
            copier(self)
        else:
            self._build(client_id, client_secret, kwargs)

    def _build(
        self, client_id: str | None, client_secret: str | None, kwargs: dict[str, Any]
    ) -> None:
        """The build without a prototype: Authlib's (lean), then the pool."""
        connections: SharedConnections | None = kwargs.pop("connections", None)
        super().__init__(client_id, client_secret, **kwargs)
        self._shared = connections
        adapter = (
            connections.adapter
            if connections
            else DeadlineAdapter(pool_maxsize=self.dialect.settings.pool_size)
        )
        if self.adapters:
            for prefix in _PREFIXES:
                self.mount(prefix, adapter)
        else:  # what the two mounts give (the longer prefix first)
            self.adapters.update((prefix, adapter) for prefix in _PREFIXES)

    def close(self) -> None:
        """Close this session; a shared pool stays open for the next one."""
        if self._shared is not None:
            for prefix in _PREFIXES:
                if self.adapters.get(prefix) is self._shared.adapter:
                    del self.adapters[prefix]
        super().close()

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """requests' ``prepare_request``, skipping the merges that have
        nothing to merge (see ``_requests_prepare``): about 200 µs less per
        login on Python 3.11 with requests 2.33 or later."""
        prepared = prepare_plainly(self, request)
        if prepared is None:
            prepared = super().prepare_request(request)
        return prepared

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        """requests' ``send``, to the site's origin only, following no
        redirect, and reading the body here, decoded, up to
        ``max_response_size`` (unless the caller streams)."""
        settings = self.dialect.settings
        check_destination(request.url or "", settings.endpoints.base_url)
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        caller_streams = bool(kwargs.get("stream"))
        kwargs.update(stream=True, allow_redirects=False)
        response: requests.Response = super().send(request, **kwargs)
        if response.is_redirect or 300 <= response.status_code < 400:
            response.close()
            raise redirect_error(
                response.status_code, response.headers.get("location"), response.url
            )
        if caller_streams:
            return response
        try:
            body = _read_body(response, settings.max_response_size)
        finally:
            response.close()
        # requests keeps a read body in _content; it has no public setter.
        response._content = body
        if response.headers.pop("Content-Encoding", None) is not None:
            # The headers describe the body held now, as httpx2's do.
            response.headers["Content-Length"] = str(len(body))
        return response


def _read_body(response: requests.Response, limit: int) -> bytes:
    """The raw body, decoded, of at most ``limit`` bytes either way."""
    raw = response.raw
    length = getattr(raw, "length_remaining", None)
    reader = BodyReader.for_headers(response.headers, limit=limit)
    if length is not None and length <= limit and reader.passes_through:
        # The common answer: plain, its declared length within the bound. One
        # read of that many bytes at most takes it, whatever length
        # http.client makes of the header (it reads "50, 50", which urllib3
        # takes as 50, as no length at all: to the end of the stream).
        reader.feed(raw.read(length, decode_content=False))
    else:
        for chunk in raw.stream(CHUNK_SIZE, decode_content=False):
            reader.feed(chunk)
    body = reader.body()
    if raw.length_remaining:  # urllib3 1.26 lets a short body pass silently
        raise urllib3.exceptions.ProtocolError("body shorter than Content-Length")
    return body
