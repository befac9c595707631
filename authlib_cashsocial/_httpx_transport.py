"""httpx2's side of the deadline: a transport whose connections never wait
on the network past the call's deadline (see ``_transport``).

httpcore2, under httpx2, takes a *network backend*: ours wraps the standard
one so that each connect, read and write waits at most the time left of the
call. httpx2's ``HTTPTransport`` builds its pool without a way to pass a
backend, so :class:`DeadlineTransport` builds the pool itself, with the same
options, and keeps httpx2's own request and error mapping.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

from ._httpx import httpcore2, httpx2
from ._transport import DeadlineExceeded, time_left

__all__ = ["DEADLINE_OPTIONS", "DeadlineTransport"]

#: The httpx2 client options that DeadlineTransport takes.
DEADLINE_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits")


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


class DeadlineTransport(httpx2.HTTPTransport):
    """httpx2's ``HTTPTransport`` (no proxy) whose every network operation
    ends by the call's deadline.

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
    ) -> None:
        # httpx2.HTTPTransport.__init__ only builds self._pool, which its
        # request handling then uses: build it here, with our backend.
        limits = limits or httpx2.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
        )
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(
                verify=verify, cert=cert, trust_env=trust_env
            ),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            network_backend=_DeadlineBackend(),
        )
