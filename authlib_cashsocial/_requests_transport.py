"""requests' side of the deadline: a transport adapter whose connections
never wait on the network past the call's deadline (see ``_transport``).

urllib3 lets an adapter choose its pools' connection class, and a
connection owns its socket; ours wraps that socket so that each blocking
operation waits at most the time left. Nothing of requests or urllib3 is
patched: these are subclasses, used only by this package's sessions.
"""

from __future__ import annotations

import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ._transport import DeadlineExceeded, time_left

__all__ = ["DeadlineAdapter"]


def _left(timeout: object) -> float | None:
    own = timeout if isinstance(timeout, (int, float)) else None
    try:
        return time_left(own)
    except DeadlineExceeded:
        raise TimeoutError("timed out") from None  # socket.timeout, as urllib3 expects


class _DeadlineSocket:
    """A connected socket whose blocking calls end by the call's deadline.

    http.client reads through ``makefile()``, so this object keeps the
    socket's own reference counting of its files (a file outlives
    ``close()`` until it is closed itself)."""

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
