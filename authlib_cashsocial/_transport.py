"""What every HTTP client of this package enforces on a call to the site,
whatever its HTTP library: one origin, no redirects, a deadline for the
whole call, and a bounded, decoded body.

* **One origin**: a request goes only to ``base_url``'s scheme, host and
  port (:func:`check_destination`); the library adapters call it before
  sending anything.
* **No redirects**: a 3xx answer becomes a
  :class:`~authlib_cashsocial.errors.ProviderRedirectError` naming only the
  target's origin (:func:`redirect_error`).
* **A deadline**: :func:`deadline` marks the whole call, connect to last
  byte; each network operation inside waits at most the time left
  (:func:`time_left`), so a site that drips one byte at a time cannot hold a
  client past ``timeout``.
* **A bounded body**: :class:`BodyReader` reads the raw body and decodes it
  (identity, gzip, deflate: what :data:`ACCEPT_ENCODING` asks for) with at
  most ``max_response_size`` bytes on either side.
"""

from __future__ import annotations

import contextvars
import functools
import time
import zlib
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from .errors import ConfigurationError, ProviderRedirectError, UnexpectedResponseError

__all__ = [
    "ACCEPT_ENCODING",
    "BodyReader",
    "DeadlineExceeded",
    "check_destination",
    "deadline",
    "origin",
    "redirect_error",
    "time_left",
]

#: The encodings every client asks for, and decodes within its bounds.
ACCEPT_ENCODING = "gzip, deflate"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cashsocial_deadline", default=None
)


class DeadlineExceeded(TimeoutError):
    """The call's deadline passed before a network operation could start."""


class deadline:
    """Bound everything inside to ``seconds`` from now (an enclosing
    deadline that ends sooner wins). A context manager (a class, not a
    generator: it runs on every request)."""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __enter__(self) -> None:
        end = time.monotonic() + self._seconds
        outer = _DEADLINE.get()
        self._token = _DEADLINE.set(end if outer is None else min(end, outer))

    def __exit__(self, *exc_info: object) -> None:
        _DEADLINE.reset(self._token)


def time_left(timeout: float | None) -> float | None:
    """How long one network operation may wait: its own ``timeout``, cut to
    what is left of the current deadline. Raises :class:`DeadlineExceeded`
    once nothing is left."""
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the call's timeout has passed")
    return left if timeout is None else min(timeout, left)


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the default port left out.

    Example::

        >>> origin("https://Site.example:443/api/x?access_token=t")
        'https://site.example'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@functools.lru_cache(maxsize=64)
def _site_origin(base_url: str) -> str:
    # base_url is configuration, never a secret: safe to keep.
    return origin(base_url)


def check_destination(url: str, base_url: str) -> None:
    """Refuse, before anything is sent, a request whose origin is not the
    site's: this client's credentials belong to that site only."""
    site = _site_origin(base_url)
    # A URL that starts with the site's origin and then "/" has exactly that
    # origin (the authority ends at the first "/"): no parsing needed.
    if url.startswith(site) and url[len(site) : len(site) + 1] == "/":
        return
    if origin(url) != site:
        raise ConfigurationError(
            f"This client sends requests only to its site, {site}; "
            f"refused a request to {origin(url)}. Use another client for other "
            "sites, or fix base_url.",
            option="base_url",
        )


def redirect_error(status: int, location: str | None, request_url: str) -> Exception:
    """The typed error for a 3xx answer: it names the target's origin only
    (the path and query may carry anything, secrets included)."""
    try:
        target = origin(urljoin(request_url, location or ""))
    except ValueError:  # a Location urllib cannot read (an unclosed "[")
        target = ""
    return ProviderRedirectError(
        f"The site answered HTTP {status} with a redirect to "
        f"{target or 'an address that cannot be read'}, which "
        "this client never follows (the credentials would go along). If the "
        "site moved, set base_url to its new address.",
        location_origin=target,
    )


class BodyReader:
    """Collect an answer's raw body and decode it, refusing to hold more than
    ``limit`` bytes of either.

    Example::

        >>> import gzip
        >>> reader = BodyReader("gzip", limit=100)
        >>> reader.feed(gzip.compress(b'{"ok": 1}'))
        >>> reader.body()
        b'{"ok": 1}'
    """

    def __init__(self, encoding: str | None, *, limit: int) -> None:
        self._limit = limit
        self._raw = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._decoder = _decoder(encoding)

    @classmethod
    def for_headers(cls, headers: Mapping[str, str], *, limit: int) -> BodyReader:
        return cls(headers.get("content-encoding"), limit=limit)

    def feed(self, chunk: bytes) -> None:
        self._raw += len(chunk)
        if self._raw > self._limit:
            raise _too_large(self._limit)
        if self._decoder is None:
            self._keep(chunk)
            return
        try:
            # max_length: never inflate more than the bound allows at once.
            self._keep(self._decoder.decompress(chunk, self._limit - self._size + 1))
            while self._decoder.unconsumed_tail:
                tail = self._decoder.unconsumed_tail
                self._keep(self._decoder.decompress(tail, self._limit - self._size + 1))
        except zlib.error:
            raise _undecodable() from None

    def body(self) -> bytes:
        if self._decoder is not None:
            try:
                self._keep(self._decoder.flush())
            except zlib.error:
                raise _undecodable() from None
            if not self._decoder.eof and self._raw:
                raise _undecodable()
        return b"".join(self._parts)

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise _too_large(self._limit)
        if data:
            self._parts.append(data)


def _decoder(encoding: str | None) -> zlib._Decompress | None:
    """The decoder for a ``Content-Encoding`` value; None for a body that is
    not encoded."""
    name = (encoding or "").strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        # zlib-wrapped, as the RFC says; servers that send raw deflate are
        # read by the +32 auto-detection only for zlib/gzip, so try zlib.
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise UnexpectedResponseError(
        f"The site's answer is encoded as {name[:40]!r}, which this client did "
        f"not ask for ({ACCEPT_ENCODING}) and does not read."
    )


def _too_large(limit: int) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"The site's answer is larger than max_response_size ({limit} bytes); "
        "it was not read further. Sngine answers are a few kilobytes: check "
        "base_url."
    )


def _undecodable() -> UnexpectedResponseError:
    return UnexpectedResponseError(
        "The site's answer could not be decoded (its Content-Encoding does not "
        "match its body)."
    )
