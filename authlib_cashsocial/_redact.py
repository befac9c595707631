"""Keep ``app_secret``, ``auth_key`` and ``access_token`` out of logs and errors.

The provider puts all three in URLs (and, for old servers, the secret too), so
anything that logs a URL leaks them: urllib3 at DEBUG, httpx2 at INFO, and the
web server's access log for the callback. A site is recognised in each form
those libraries print it (:func:`site_pattern`): the default port written or
left out, an IPv6 host with or without brackets, a name in Unicode or IDNA,
any case. This module changes nothing in the
application's logging configuration except:

* every client of this package adds one :class:`RedactingFilter` to the few
  library loggers that print request URLs (:data:`URL_LOGGERS`); it rewrites
  only records about a site a client of this package talks to
  (:func:`watch_site`), and leaves every other record exactly as logged;
* :func:`redact_access_logs`, opt-in, does the same for the web servers'
  access logs (:data:`ACCESS_LOGGERS`), where the callback's ``auth_key``
  appears.

Levels, handlers, formatters and propagation stay as the application set them.

Example::

    >>> redact_text("GET /api/get_user_info?access_token=0f1e2d HTTP/1.1")
    'GET /api/get_user_info?access_token=[REDACTED] HTTP/1.1'
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import threading
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

import idna

from ._sngine import SECRET_PARAMETERS

__all__ = [
    "ACCESS_LOGGERS",
    "REDACTED",
    "URL_LOGGERS",
    "AccessLogFilter",
    "RedactingFilter",
    "SiteSet",
    "install_log_redaction",
    "redact_access_logs",
    "redact_sentry_event",
    "redact_text",
    "site_pattern",
    "watch_site",
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
#: The access logs of the usual web servers, which record the callback URL.
ACCESS_LOGGERS = (
    "werkzeug",
    "gunicorn.access",
    "uvicorn.access",
    "django.server",
    "hypercorn.access",
)

_NAME = "|".join(re.escape(name) for name in SECRET_PARAMETERS)
# A value, by the way it is written (the name and what joins it are kept):
#   JSON or repr:      "name": "va\"lue"   'name': 'value'   name="value"
#   query or form:     name=value          (ends at &, white space, quote, #)
#   a URL in a URL:    name%3Dvalue        (ends at %26, the encoded &)
#   a message:         name: value         (ends at white space)
_SECRET_IN_TEXT = re.compile(
    rf"""(?:(?<=%[0-9a-f]{{2}})|\b)(?P<name>(?:{_NAME})\b)(?:
        (?P<qsep>["']?\s*[:=]\s*)(?P<quote>["'])
            (?P<quoted>(?:\\.|(?!(?P=quote))[^\\])*)(?P=quote)
      | (?P<esep>%3D)(?P<encoded>(?:(?!%26)[^&\s"'#])+)
      | (?P<usep>=)(?P<urlvalue>[^&\s"'#<>]+)
      | (?P<msep>:[ \t]*)(?P<bare>\S+)
    )""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def _replace(match: re.Match[str]) -> str:
    name = match["name"]
    if match["quote"] is not None:
        return f"{name}{match['qsep']}{match['quote']}{REDACTED}{match['quote']}"
    separator = match["esep"] or match["usep"] or match["msep"]
    return f"{name}{separator}{REDACTED}"


def redact_text(text: str) -> str:
    """Replace, whole, the value of every secret parameter found in ``text``."""
    return _SECRET_IN_TEXT.sub(_replace, text)


def _redacted_args(args: Any) -> Any:
    """``args`` with each secret-bearing value redacted, in the same shape
    (a tuple stays a tuple, gunicorn's atoms dict stays that dict)."""
    if isinstance(args, MutableMapping):
        for key, value in list(args.items()):
            if isinstance(value, str) and redact_text(value) != value:
                args[key] = redact_text(value)
        return args
    if isinstance(args, tuple):
        return tuple(_redacted_arg(arg) for arg in args)
    return args


def _redacted_arg(arg: Any) -> Any:
    if isinstance(arg, (int, float)) or arg is None:
        return arg
    text = str(arg)
    redacted = redact_text(text)
    # A URL object or the like that shows a secret becomes its redacted text.
    return arg if redacted == text else redacted


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return
    if redact_text(message) == message:
        return
    if isinstance(record.msg, str):
        record.msg = redact_text(record.msg)
    record.args = _redacted_args(record.args)
    if redact_text(record.getMessage()) != record.getMessage():
        # A secret split between the template and its args: keep the text.
        record.msg, record.args = redact_text(message), None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_names(host: str) -> set[str]:
    """``host`` as the HTTP libraries may print it: an IPv6 address with and
    without brackets (as given, compressed, exploded; a zone as ``%`` or
    ``%25``), a domain name in Unicode and in IDNA (both IDNA 2003, Python's
    codec, and IDNA 2008, which requests and httpx use)."""
    names = {host}
    zone = ""
    if "%" in host:
        address, _, zone = host.partition("%")
        zone = zone.removeprefix("25")
    else:
        address = host
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        for convert in (
            lambda name: idna.encode(name, uts46=True).decode("ascii"),
            lambda name: idna.decode(name),
            lambda name: name.encode("idna").decode("ascii"),
            lambda name: name.encode("ascii").decode("idna"),
        ):
            with contextlib.suppress(UnicodeError, ValueError):  # not for this codec
                names.add(convert(host))
        return {name.lower() for name in names if name}
    if ip.version == 6:
        forms = {address, ip.compressed, ip.exploded}
        zones = ("%" + zone, "%25" + zone) if zone else ("",)
        for form in forms:
            for suffix in zones:
                names.update((form + suffix, f"[{form}{suffix}]"))
    return {name.lower() for name in names}


def site_pattern(base_url: str) -> str | None:
    """A regular expression (source) that finds ``base_url``'s site in a log
    line in each form the HTTP libraries print it: any case, the host as
    ``_host_names`` spells it, the port written out or, when it is the
    scheme's default, left out (httpx prints ``https://host/`` for
    ``https://host:443``, urllib3 ``host:443`` for ``https://host``).
    ``None`` when ``base_url`` names no host."""
    try:
        parts = urlsplit(base_url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:  # not a URL with a usable host and port
        return None
    if not host:
        return None
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    port = port if port is not None else default
    names = "|".join(
        re.escape(name) for name in sorted(_host_names(host), key=len, reverse=True)
    )
    # Not inside a longer name or address (sub.host, evil-host, fe80::1).
    before = r"(?<![\w.:%\[-])"
    if port is not None and port == default:
        after = rf"(?::{port}(?!\d)|(?![\w-]|\.\w|:\d))"
    else:
        after = rf":{port}(?!\d)"
    return rf"{before}(?:{names}){after}"


class SiteSet:
    """The sites whose log records are this package's business, found in a
    message whatever form it prints them in (:func:`site_pattern`).

    Example::

        >>> sites = SiteSet()
        >>> sites.watch("https://[::1]:443")
        >>> sites.mentioned_in("GET https://[::1]/api"), sites.mentioned_in("::1:443")
        (True, True)
        >>> sites.mentioned_in("https://[::1]:8443/api")
        False
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def watch(self, base_url: str) -> None:
        """Count ``base_url``'s site as watched."""
        source = site_pattern(base_url)
        if source is None or source in self._sources:
            return
        with self._lock:
            self._sources.add(source)
            joined = "|".join(sorted(self._sources))
            self._pattern = re.compile(joined, re.IGNORECASE)

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` mentions a watched site."""
        pattern = self._pattern
        return pattern is not None and pattern.search(text) is not None


_sites = SiteSet()
_lock = threading.Lock()


def watch_site(base_url: str) -> None:
    """Count records that mention ``base_url``'s site, in any form the HTTP
    libraries print it, as this package's business (every client calls it
    for its site)."""
    _sites.watch(base_url)


class RedactingFilter(logging.Filter):
    """Redacts records that mention a watched site (:func:`watch_site`);
    every other record passes exactly as logged. Records are never dropped.

    Example::

        logging.getLogger("my.http.client").addFilter(RedactingFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        if _sites.mentioned_in(message):
            _redact_record(record)
        return True


class AccessLogFilter(logging.Filter):
    """Redacts secrets in every record of a web server's access log (the
    callback URL is the application's own, so no site check)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_URL_FILTER = RedactingFilter()
_ACCESS_FILTER = AccessLogFilter()


def _attach(log_filter: logging.Filter, names: tuple[str, ...]) -> None:
    with _lock:
        for name in names:
            logger = logging.getLogger(name)
            if log_filter not in logger.filters:
                logger.addFilter(log_filter)


def install_log_redaction(base_url: str) -> None:
    """Watch ``base_url``'s site and attach the shared :class:`RedactingFilter`
    to :data:`URL_LOGGERS`. Idempotent; every client of this package calls it
    once, when it is created, so applications never need to."""
    watch_site(base_url)
    _attach(_URL_FILTER, URL_LOGGERS)


def redact_access_logs() -> logging.Filter:
    """Keep ``auth_key`` (and the other secrets) out of the web server's
    access log: werkzeug's, gunicorn's, uvicorn's, Django's runserver's and
    hypercorn's (:data:`~authlib_cashsocial._redact.ACCESS_LOGGERS`).
    Opt-in, one line at start-up, in each worker process. Returns the filter
    (``logger.removeFilter`` undoes).

    Example::

        authlib_cashsocial.redact_access_logs()
    """
    _attach(_ACCESS_FILTER, ACCESS_LOGGERS)
    return _ACCESS_FILTER


def _redacted_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redacted_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted_value(item) for item in value]
    return value


def redact_sentry_event(event: dict[str, Any], hint: object = None) -> dict[str, Any]:
    """The Sentry SDK's ``event`` (or breadcrumb) with every secret value
    redacted, for ``sentry_sdk.init(before_breadcrumb=..., before_send=...,
    before_send_transaction=...)``. The SDK's default ``http.client``
    integration keeps each request's query string as it was sent in a
    breadcrumb (the user-info call's ``access_token``, the ``app_secret``
    that old servers read there), and every later event of the request
    carries those breadcrumbs.

    Example::

        sentry_sdk.init(
            dsn=SENTRY_DSN,
            before_breadcrumb=authlib_cashsocial.redact_sentry_event,
            before_send=authlib_cashsocial.redact_sentry_event,
        )
    """
    redacted: dict[str, Any] = _redacted_value(event)
    return redacted
