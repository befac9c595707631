"""The httpx2 clients: Authlib's ``OAuth2Client`` and ``AsyncOAuth2Client``
speaking Sngine, and the synchronous client's side of the call's deadline.
Needs the ``httpx`` extra (``pip install authlib-cashsocial[httpx]``).

The deadline (see ``_transport``): the asynchronous client bounds a call with
anyio's cancel scope. The synchronous one sends through
:class:`DeadlineTransport`: httpcore2's connection pool (or proxy), built
through its public constructor with a *network backend* that wraps the
standard one, so that each connect, read and write waits at most the time
left of the call; the transport in front of it maps requests, answers and
errors between httpx2 and httpcore2 as httpx2's own ``HTTPTransport`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client
from authlib.integrations.httpx_client.utils import HTTPX_CLIENT_KWARGS

from ._client import AsyncClientMixin, ClientMixin
from ._httpx import httpcore2, httpx2
from ._transport import (
    ACCEPT_ENCODING,
    BodyReader,
    DeadlineExceeded,
    check_destination,
    time_left,
)
from .errors import ConfigurationError

__all__ = [
    "AsyncCashSocialClient",
    "CashSocialClient",
    "SharedAsyncConnections",
    "pool_limits",
]

#: The httpx2 client options that DeadlineTransport takes.
DEADLINE_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits", "proxy")
#: httpx client options whose transports the synchronous client could not
#: bound (a transport of the caller's own has no network backend of ours;
#: httpx before 0.26 mounts a transport of its own for ``proxies=`` and
#: ``app=``, which Authlib before 1.4 forwards).
_UNBOUNDED_OPTIONS = ("transport", "mounts", "proxies", "app")

#: httpx2.AsyncHTTPTransport options a shared transport takes from client_kwargs.
TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits", "proxy")
# Headers that described the body as it travelled, not the decoded one.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length"})


def pool_limits(pool_size: int) -> httpx2.Limits:
    """httpx2's pool limits for the ``pool_size`` option: that many
    keep-alive connections, and at least httpx2's usual 100 at once."""
    return httpx2.Limits(
        max_connections=max(100, pool_size),
        max_keepalive_connections=pool_size,
        keepalive_expiry=5.0,
    )


def _pool_size(kwargs: dict[str, Any]) -> int:
    """The ``pool_size`` a client is being built with (checked later, with
    the other options; an unusable value means the default here)."""
    dialect = kwargs.get("dialect")
    if dialect is not None and hasattr(dialect, "settings"):
        return int(dialect.settings.pool_size)
    size = kwargs.get("pool_size", 100)
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size
    return 100


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    try:
        return time_left(timeout)
    except DeadlineExceeded:
        raise error("the call's timeout has passed") from None


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, stream: httpcore2.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        left = _left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left)
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        left = _left(timeout, httpcore2.ConnectTimeout)
        stream = self._backend.connect_tcp(
            host, port, left, local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        left = _left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(
            self._backend.connect_unix_socket(path, left, socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore2's errors as httpx2's of the same name (httpx2 mirrors
    them: ``ReadTimeout``, ``ConnectError``, ...), as its transport maps them."""
    try:
        yield
    except Exception as exc:
        for klass in type(exc).__mro__:
            mapped = getattr(httpx2, klass.__name__, None)
            if klass.__module__.startswith(httpcore2.__name__) and isinstance(
                mapped, type
            ):
                raise mapped(str(exc)) from exc
        raise


class _Body(httpx2.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class DeadlineTransport(httpx2.BaseTransport):
    """A transport like httpx2's ``HTTPTransport`` whose every network
    operation ends by the call's deadline.

    Example::

        client = httpx2.Client(transport=DeadlineTransport(verify=ca_file))
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx2.Limits | None = None,
        proxy: httpx2.Proxy | httpx2.URL | str | None = None,
    ) -> None:
        limits = limits or httpx2.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
        )
        options: dict[str, Any] = {
            "ssl_context": httpx2.create_ssl_context(
                verify=verify, cert=cert, trust_env=trust_env
            ),
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
            "http1": http1,
            "http2": http2,
            "network_backend": _DeadlineBackend(),
        }
        self.pool: httpcore2.ConnectionPool
        if proxy is None:
            self.pool = httpcore2.ConnectionPool(**options)
            return
        if not isinstance(proxy, httpx2.Proxy):
            proxy = httpx2.Proxy(url=proxy)
        url = proxy.url
        proxy_url = httpcore2.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        )
        if url.scheme in ("http", "https"):
            self.pool = httpcore2.HTTPProxy(
                proxy_url=proxy_url,
                proxy_auth=proxy.raw_auth,
                proxy_headers=proxy.headers.raw,
                proxy_ssl_context=proxy.ssl_context,
                **options,
            )
        else:  # socks5, socks5h (httpcore2 refuses what it does not know)
            self.pool = httpcore2.SOCKSProxy(
                proxy_url=proxy_url, proxy_auth=proxy.raw_auth, **options
            )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        core_request = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=url.raw_scheme,
                host=url.raw_host,
                port=url.port,
                target=url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            answer = self.pool.handle_request(core_request)
        return httpx2.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),  # type: ignore[arg-type]
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self.pool.close()


def _prepared(request: httpx2.Request, base_url: str) -> None:
    """Before sending: the site's origin only, and only encodings we bound."""
    check_destination(str(request.url), base_url)
    request.headers["Accept-Encoding"] = ACCEPT_ENCODING


def _read(response: httpx2.Response, body: bytes) -> httpx2.Response:
    """A read response holding the decoded ``body``."""
    wire = response.headers
    length = str(len(body))
    headers: httpx2.Headers | list[tuple[str, str]] = wire
    if "content-encoding" in wire or wire.get("content-length", length) != length:
        # The body was decoded: drop what described it on the wire (httpx2
        # sets the new Content-Length). A plain answer keeps its headers.
        headers = [
            (name, value)
            for name, value in wire.multi_items()
            if name.lower() not in _WIRE_HEADERS
        ]
    return httpx2.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=response.extensions,
        history=response.history,
    )


class _KeptOpen(httpx2.AsyncBaseTransport):
    """A per-call client's view of a shared transport: closing the client
    leaves the transport, and its keep-alive connections, to the next one."""

    def __init__(self, transport: httpx2.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class SharedAsyncConnections:
    """One httpx2 transport (a pool of keep-alive connections) per event loop,
    shared by every client a registered Starlette app creates.

    Connections belong to the event loop that opened them, so each running
    loop gets its own transport; ``aclose()`` closes the current loop's.

    Example::

        connections = SharedAsyncConnections()
        async with AsyncCashSocialClient(APP_ID, SECRET, connections=connections) as c:
            ...
        await connections.aclose()
    """

    def __init__(self, **transport_options: Any) -> None:
        self._options = transport_options
        self._transports: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, httpx2.AsyncHTTPTransport
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    @classmethod
    def for_client_kwargs(
        cls, client_kwargs: dict[str, Any], *, pool_size: int = 100
    ) -> SharedAsyncConnections:
        """A pool built with the user's ``verify``, ``proxy``, ``limits``...,
        which httpx2 would otherwise ignore once a transport is given;
        without ``limits``, ``pool_size`` keep-alive connections."""
        options = {k: client_kwargs[k] for k in TRANSPORT_OPTIONS if k in client_kwargs}
        options.setdefault("limits", pool_limits(pool_size))
        return cls(**options)

    def transport(self) -> httpx2.AsyncBaseTransport:
        """The running loop's shared transport, wrapped to stay open."""
        loop = asyncio.get_running_loop()
        with self._lock:
            transport = self._transports.get(loop)
            if transport is None:
                transport = httpx2.AsyncHTTPTransport(**self._options)
                self._transports[loop] = transport
        return _KeptOpen(transport)

    async def aclose(self) -> None:
        """Close the running loop's transport and forget the others (their
        loops are gone or will close them with themselves)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            transport = self._transports.pop(loop, None)
            self._transports.clear()
        if transport is not None:
            await transport.aclose()


class CashSocialClient(ClientMixin, OAuth2Client):  # type: ignore[misc]
    """A synchronous httpx2 client for one Sngine app, built on Authlib's
    ``OAuth2Client``; a context manager, like ``httpx2.Client``.

    Takes the same options as :class:`~authlib_cashsocial.CashSocialSession`
    plus ``httpx2.Client``'s own (``verify``, ``cert``, ``proxy``,
    ``limits``, ``http2``, ...). ``timeout`` bounds each whole call, headers
    and body, through the client's own transport (a proxy's connections
    included); ``transport=`` and ``mounts=``, whose transports it could not
    bound, raise :class:`~authlib_cashsocial.errors.ConfigurationError`
    (:class:`AsyncCashSocialClient` takes them: its deadline bounds any
    transport). As with any httpx2 client given a transport, the proxy
    variables of the environment are not read: pass ``proxy=``.

    Example::

        with CashSocialClient(APP_ID, APP_SECRET) as client:
            client.fetch_token(auth_key=auth_key)
            profile = client.userinfo()
    """

    http_keywords = HTTPX_CLIENT_KWARGS
    default_auth = httpx2.USE_CLIENT_DEFAULT
    transport_errors = (httpx2.TransportError,)
    timeout_errors = (httpx2.TimeoutException,)

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        for option in _UNBOUNDED_OPTIONS:
            if kwargs.get(option) is not None:
                raise ConfigurationError(
                    f"CashSocialClient does not take {option}=: timeout bounds a "
                    "whole call (headers and body) only through its own "
                    "transport, which takes verify, cert, proxy, limits, http1, "
                    "http2 and trust_env. Pass those, or use "
                    "AsyncCashSocialClient, whose timeout bounds any transport.",
                    option=option,
                )
        # Deadline-bound connections, a proxy's included.
        options = {k: kwargs.pop(k) for k in DEADLINE_OPTIONS if k in kwargs}
        options.setdefault("limits", pool_limits(_pool_size(kwargs)))
        kwargs["transport"] = DeadlineTransport(**options)
        super().__init__(client_id, client_secret, **kwargs)

    def send(
        self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        """httpx2's ``send``, to the site's origin only, following no
        redirect, and reading the body here, decoded, up to
        ``max_response_size`` (unless the caller streams)."""
        settings = self.dialect.settings
        _prepared(request, settings.endpoints.base_url)
        # The dialect's response hook refuses a redirect; nothing is followed.
        kwargs["follow_redirects"] = False
        response = super().send(request, stream=True, **kwargs)
        try:
            if stream:
                return response  # type: ignore[no-any-return]
            reader = BodyReader.for_headers(
                response.headers, limit=settings.max_response_size
            )
            for chunk in response.iter_raw():
                reader.feed(chunk)
            body = reader.body()
        finally:
            if not stream:
                response.close()
        return _read(response, body)


class AsyncCashSocialClient(AsyncClientMixin, AsyncOAuth2Client):  # type: ignore[misc]
    """The asynchronous twin of :class:`CashSocialClient`.

    Example::

        async with AsyncCashSocialClient(APP_ID, APP_SECRET) as client:
            await client.fetch_token(authorization_response=str(request.url))
            profile = await client.userinfo()
    """

    http_keywords = HTTPX_CLIENT_KWARGS
    default_auth = httpx2.USE_CLIENT_DEFAULT
    transport_errors = (httpx2.TransportError,)
    timeout_errors = (httpx2.TimeoutException,)

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        connections: SharedAsyncConnections | None = kwargs.pop("connections", None)
        if connections is not None and "transport" not in kwargs:
            kwargs["transport"] = connections.transport()
            for option in TRANSPORT_OPTIONS:  # already in the shared transport
                kwargs.pop(option, None)
        elif not {"transport", "mounts", "limits"} & kwargs.keys():
            kwargs["limits"] = pool_limits(_pool_size(kwargs))
        super().__init__(client_id, client_secret, **kwargs)

    async def send(
        self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        """:meth:`CashSocialClient.send`, as a coroutine."""
        settings = self.dialect.settings
        _prepared(request, settings.endpoints.base_url)
        kwargs["follow_redirects"] = False
        response = await super().send(request, stream=True, **kwargs)
        try:
            if stream:
                return response  # type: ignore[no-any-return]
            reader = BodyReader.for_headers(
                response.headers, limit=settings.max_response_size
            )
            async for chunk in response.aiter_raw():
                reader.feed(chunk)
            body = reader.body()
        finally:
            if not stream:
                await response.aclose()
        return _read(response, body)
