"""What the fake site and the demo app share around their pages: the page
skeleton, their favicons (static files) and a one-line-per-request log."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterable
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from .._redact import redact_text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

__all__ = ["ACCESS_LOGGER", "AccessLog", "favicon", "html_page"]

#: The logger of the request lines (``python -m authlib_cashsocial`` shows it).
ACCESS_LOGGER = "authlib_cashsocial.access"


def html_page(
    title: str, body: str, *, header: str, style: str, status: int = 200
) -> Response:
    """A complete HTML page: ``header`` in a bar above ``body`` (both HTML,
    escaped by the caller), ``title`` escaped here."""
    document = (
        f"<!DOCTYPE html><html><head><meta charset=utf-8><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body><header>{header}"
        f"</header><main>{body}</main></body></html>"
    )
    return Response(document, status=status, mimetype="text/html")


def favicon(name: str) -> bytes:
    """The bytes of a ``favicon.ico`` shipped with the package: ``"site"``
    (the fake site's, a blue circle) or ``"demo"`` (the demo app's).

    Example::

        >>> favicon("site")[:4]
        b'\\x00\\x00\\x01\\x00'
    """
    static = files("authlib_cashsocial.testing") / "static"
    return (static / f"{name}-favicon.ico").read_bytes()


class AccessLog:
    """WSGI middleware: one log line per request, its secrets redacted.

    ``GET /auth?auth_key=[REDACTED] -> 302 (3 ms)`` on the logger
    :data:`ACCESS_LOGGER`, prefixed by ``label`` (``"demo app"``, ``"fake
    site"``). Only the method, path and query are logged, never a body or a
    header; ``app_secret``, ``auth_key`` and ``access_token`` values in the
    query are replaced.

    Example::

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        waitress.serve(AccessLog("demo app", app), port=5000)
    """

    def __init__(self, label: str, app: WSGIApplication) -> None:
        self.label = label
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def recording_start_response(
            code: str, headers: list[tuple[str, str]], *exc_info: Any
        ) -> Callable[[bytes], object]:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, *exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                query = environ.get("QUERY_STRING", "")
                target = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
                self.logger.info(
                    "%-9s %s %s -> %s (%.0f ms)",
                    self.label,
                    environ.get("REQUEST_METHOD", "GET"),
                    redact_text(target),
                    status[-1] if status else "error",
                    (time.perf_counter() - started) * 1000,
                )
