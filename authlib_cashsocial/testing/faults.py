"""Answers a broken or hostile Sngine site can give, for fault injection.

Each fault replaces one answer of the fake provider and changes none of its
state (an injected answer to ``api/authorize`` consumes no ``auth_key``).

Example::

    fake.inject("api/authorize", ErrorBody("Приложение отключено"))
    fake.inject("api/get_user_info", HTMLPage(status=503), times=2)
"""

from __future__ import annotations

import errno
import json
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

__all__ = [
    "Body",
    "CloseBeforeAnswer",
    "Drip",
    "DropMidResponse",
    "ErrorBody",
    "Fault",
    "GzipBomb",
    "HTMLPage",
    "HugeBody",
    "JSONBody",
    "Redirect",
    "Slow",
    "Status",
]

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

OFFLINE_PAGE = (
    "<!DOCTYPE html><html><head><title>Under maintenance</title></head><body>"
    "<h1>We'll be back soon</h1><p>The site is under maintenance.</p></body></html>"
)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # a status without a registered phrase, such as 599
        return f"{status} Unknown"


class Fault:
    """One injected answer; subclasses write it as a WSGI response."""

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        raise NotImplementedError


@dataclass(frozen=True)
class Body(Fault):
    """Any body, status and content type: garbage, truncated JSON, ``[]``."""

    content: bytes | str
    content_type: str = "application/json; charset=utf-8"
    status: int = 200
    #: More response headers, such as ``(("Content-Encoding", "gzip"),)``.
    headers: tuple[tuple[str, str], ...] = ()

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        data = self.content.encode() if isinstance(self.content, str) else self.content
        start_response(
            _status_line(self.status),
            [
                ("Content-Type", self.content_type),
                ("Content-Length", str(len(data))),
                *self.headers,
            ],
        )
        return [data]


def JSONBody(value: Any, *, status: int = 200) -> Body:
    """A JSON answer of any shape, such as ``{"user_info": []}``."""
    return Body(json.dumps(value), status=status)


def ErrorBody(message: Any, *, error: Any = True) -> Body:
    """Sngine's error answer: HTTP 200 with ``{"error": …, "message": …}``."""
    return JSONBody({"error": error, "message": message})


def HTMLPage(*, status: int = 200) -> Body:
    """The HTML page a site prints when offline or when it bans the caller."""
    return Body(OFFLINE_PAGE, content_type="text/html; charset=utf-8", status=status)


def Redirect(location: str, *, status: int = 302) -> Body:
    """A redirect elsewhere: a moved site, or a hostile one that wants the
    credentials re-sent to ``location``."""
    return Body(
        "", content_type="text/html", status=status, headers=(("Location", location),)
    )


def Status(status: int) -> Body:
    """A bare server error status with the front server's HTML page."""
    return HTMLPage(status=status)


@dataclass(frozen=True)
class HugeBody(Fault):
    """A body of ``size`` bytes, streamed in chunks (never held in memory)."""

    size: int = 10 * 1024 * 1024
    content_type: str = "application/json"

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            _status_line(200),
            [("Content-Type", self.content_type), ("Content-Length", str(self.size))],
        )
        return self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        chunk = b"[" + b"0," * 32767
        sent = 0
        while sent < self.size:
            piece = chunk[: self.size - sent]
            sent += len(piece)
            yield piece


@dataclass(frozen=True)
class Drip(Fault):
    """A JSON answer of ``size`` bytes, one byte every ``interval`` seconds:
    each read finishes quickly, the whole answer never does."""

    interval: float = 1.0
    size: int = 60

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            _status_line(200),
            [("Content-Type", "application/json"), ("Content-Length", str(self.size))],
        )
        return self._drops()

    def _drops(self) -> Iterator[bytes]:
        for _ in range(self.size):
            yield b" "
            time.sleep(self.interval)


@dataclass(frozen=True)
class GzipBomb(Fault):
    """A small gzip body (``Content-Encoding: gzip``, asked for or not) that
    decodes to ``decoded_size`` bytes; it is compressed as it is sent."""

    decoded_size: int = 1024**3
    encoding: str = "gzip"

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            _status_line(200),
            [("Content-Type", "application/json"), ("Content-Encoding", self.encoding)],
        )
        return self._compressed()

    def _compressed(self) -> Iterator[bytes]:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
        block = b"[" + b" " * (1024 * 1024 - 1)
        for _ in range(self.decoded_size // len(block)):
            piece = compressor.compress(block)
            if piece:
                yield piece
            block = b" " * len(block)
        yield compressor.flush()


@dataclass(frozen=True)
class Slow(Fault):
    """Wait ``seconds``, then give ``then`` (or, by default, the real answer)."""

    seconds: float
    then: Fault | None = None

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        raise NotImplementedError("the fake provider handles Slow itself")

    def wait(self) -> None:
        time.sleep(self.seconds)


@dataclass(frozen=True)
class CloseBeforeAnswer(Fault):
    """Close the connection without sending a byte."""

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        # The server closes the connection, silently, on a socket error whose
        # errno it ignores (cheroot: errors.socket_errors_to_ignore), raised
        # before anything is written.
        raise ConnectionAbortedError(
            errno.ECONNABORTED, "fault injected: close before answering"
        )


@dataclass(frozen=True)
class DropMidResponse(Fault):
    """Send the headers and part of the body, then drop the connection."""

    def respond(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            _status_line(200),
            [("Content-Type", "application/json"), ("Content-Length", "200")],
        )
        return self._partial()

    @staticmethod
    def _partial() -> Iterator[bytes]:
        yield b'{"access_token": "'
        raise ConnectionAbortedError(
            errno.ECONNABORTED, "fault injected: dropped mid-response"
        )
