"""Keep ``app_secret``, ``auth_key`` and ``access_token`` out of logs and errors.

The provider puts all three in URLs (and, for old servers, the secret too), so
anything that logs a URL leaks them: urllib3 at DEBUG, httpx2 at INFO. This
module changes nothing in the user's logging configuration except one thing:
:func:`install_log_redaction` adds a :class:`RedactingFilter` to the few
library loggers that print request URLs (:data:`URL_LOGGERS`). Levels,
handlers, formatters and propagation stay as the application set them.

Example::

    >>> redact_text("GET /api/get_user_info?access_token=0f1e2d HTTP/1.1")
    'GET /api/get_user_info?access_token=[REDACTED] HTTP/1.1'
"""

from __future__ import annotations

import logging
import re
import threading

from ._sngine import SECRET_PARAMETERS

__all__ = [
    "REDACTED",
    "URL_LOGGERS",
    "RedactingFilter",
    "install_log_redaction",
    "redact_text",
]

REDACTED = "[REDACTED]"

#: Loggers of the HTTP libraries that write request URLs into their records.
URL_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.util.retry",
    "urllib3.connection",
    "urllib3.response",
    "httpx2",
    "httpx",
)

_names = "|".join(re.escape(name) for name in SECRET_PARAMETERS)
# name=value in a query or form (raw or percent-encoded "="), and "name": "value"
# in JSON or a repr. The value runs to the next delimiter.
_SECRET_IN_TEXT = re.compile(
    rf"""(?P<name>\b(?:{_names}))(?P<sep>=|%3D|["']?\s*[:=]\s*["'])"""
    rf"""(?P<value>(?:(?!%26)[^&\s"'#<>;,)])+)""",
    re.IGNORECASE,
)


def redact_text(text: str) -> str:
    """Replace the value of every secret parameter found in ``text``."""
    if not any(name in text.lower() for name in SECRET_PARAMETERS):
        return text
    return _SECRET_IN_TEXT.sub(rf"\g<name>\g<sep>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites records whose message names a secret.

    It formats the record's message once, redacts it, and drops the arguments,
    so handlers further down see only the redacted text. Records are never
    dropped.

    Example::

        logging.getLogger("my.http.client").addFilter(RedactingFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_FILTER = RedactingFilter()
_lock = threading.Lock()


def install_log_redaction() -> None:
    """Attach the shared :class:`RedactingFilter` to :data:`URL_LOGGERS`.

    Idempotent and cheap; every client of this package calls it when it is
    created, so applications never need to.
    """
    with _lock:
        for name in URL_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
