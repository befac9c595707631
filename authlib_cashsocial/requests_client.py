"""The requests client: Authlib's ``OAuth2Session`` speaking Sngine, and
requests' side of the call's deadline.

The deadline (see ``_transport``): urllib3 lets a pool choose its connection
class, and a connection owns its socket; ours wraps that socket so that each
blocking operation waits at most the time left of the call. Nothing of
requests or urllib3 is patched: these are subclasses, used only by this
package's sessions.
"""

from __future__ import annotations

import socket
from typing import Any

import requests
import urllib3
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.requests_client.utils import REQUESTS_SESSION_KWARGS
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ._client import ClientMixin
from ._transport import (
    ACCEPT_ENCODING,
    BodyReader,
    DeadlineExceeded,
    check_destination,
    time_left,
)

__all__ = ["CashSocialSession", "SharedConnections"]

_PREFIXES = ("https://", "http://")
CHUNK_SIZE = 64 * 1024


def _left(timeout: object) -> float | None:
    own = timeout if isinstance(timeout, (int, float)) else None
    try:
        return time_left(own)
    except DeadlineExceeded:
        raise TimeoutError("timed out") from None  # socket.timeout, as urllib3 expects


class _DeadlineSocket:
    """A connected socket whose blocking calls end by the call's deadline.

    http.client reads through ``makefile()``. This borrows
    ``socket.socket.makefile``, which relies on two internals of CPython's
    ``socket`` module: the ``_io_refs`` count it increments, and
    ``_decref_socketios()``, which each file calls when it closes; with them
    the socket outlives ``close()`` until its last file is closed, as a
    plain socket does (``test_a_deadline_socket_outlives_close_until_its_file``
    fails loudly if CPython changes them)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()
        self._io_refs = 0
        self._closed = False

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _bound(self) -> None:
        self._sock.settimeout(_left(self._timeout))

    def recv(self, *args: Any) -> bytes:
        self._bound()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._bound()
        return self._sock.recv_into(*args)

    def send(self, *args: Any) -> int:
        self._bound()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._bound()
        self._sock.sendall(*args)

    makefile = socket.socket.makefile

    def _decref_socketios(self) -> None:
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        self.timeout = _left(self.timeout)
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        self.timeout = _left(self.timeout)
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' ``HTTPAdapter`` with deadline-bound connections (proxied
    ones included).

    urllib3's pool managers take their pool classes from
    ``pool_classes_by_scheme``, an attribute with no constructor argument
    (``test_the_deadline_adapter_makes_deadline_pools`` fails loudly if
    urllib3 changes it).

    Example::

        session.mount("https://", DeadlineAdapter())
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools stay urllib3's
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


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
