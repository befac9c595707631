"""Reading the ``auth_key`` from the request that reaches the App Redirect URL.

The site joins its registered redirect URL and ``?auth_key=`` as strings, so
a URL that already had a query arrives with two ``?``: both forms are read.
A key is checked before anything is sent to the site.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from ._sngine import AUTH_KEY_PARAM
from .errors import MalformedAuthKeyError, MissingAuthKeyError

__all__ = [
    "MAX_AUTH_KEY_LENGTH",
    "auth_key_from_callback",
    "read_callback",
    "state_from_callback",
    "validate_auth_key",
]

#: Sngine issues 32-hex-digit keys; anything far longer is not one of its keys.
MAX_AUTH_KEY_LENGTH = 128
_AUTH_KEY_SHAPE = re.compile(r"[A-Za-z0-9._~-]+")


def validate_auth_key(auth_key: object) -> str:
    """Return ``auth_key`` if it can be a key the site issued, else raise
    :class:`~authlib_cashsocial.errors.MissingAuthKeyError` (none) or
    :class:`~authlib_cashsocial.errors.MalformedAuthKeyError`.

    Example::

        >>> validate_auth_key("9f86d081884c7d659a2feaa0c55ad015")
        '9f86d081884c7d659a2feaa0c55ad015'
    """
    if not isinstance(auth_key, str) or not auth_key:
        raise MissingAuthKeyError(
            "The callback has no auth_key (it was not sent by the site's "
            "login page, or the user opened the callback URL by hand)."
        )
    if len(auth_key) > MAX_AUTH_KEY_LENGTH:
        raise MalformedAuthKeyError(
            f"The callback's auth_key is {len(auth_key)} characters long; the "
            f"site issues keys of at most {MAX_AUTH_KEY_LENGTH}."
        )
    if not _AUTH_KEY_SHAPE.fullmatch(auth_key):
        raise MalformedAuthKeyError(
            "The callback's auth_key has characters the site never puts in a key."
        )
    return auth_key


def _query(url: str) -> str:
    query = url.split("#", 1)[0]
    if "?" in query or "://" in query:
        query = query.split("?", 1)[1] if "?" in query else ""
    return query.replace("?", "&")


def _values(url: str, *names: str) -> list[set[str]]:
    found: list[set[str]] = [set() for _ in names]
    for key, value in parse_qsl(_query(url), keep_blank_values=True):
        if key in names:
            found[names.index(key)].add(value)
    return found


def state_from_callback(url: str) -> str | None:
    """The ``state`` a callback URL carries, if any (the site sends none; one
    can only come from the registered App Redirect URL, or be forged)."""
    (values,) = _values(url, "state")
    return min(values) if values else None


def read_callback(url: str) -> tuple[str, str | None]:
    """:func:`auth_key_from_callback` and :func:`state_from_callback` of
    ``url``, reading its query once."""
    if not isinstance(url, str):
        raise MissingAuthKeyError("The callback URL is not text.")
    keys, states = _values(url, AUTH_KEY_PARAM, "state")
    return _one_key(keys), min(states) if states else None


def auth_key_from_callback(url: str) -> str:
    """Read the ``auth_key`` from a callback URL (or its query string).

    Example::

        >>> auth_key_from_callback("https://app.example/cb?next=/x?auth_key=k1")
        'k1'
    """
    if not isinstance(url, str):
        raise MissingAuthKeyError("The callback URL is not text.")
    (values,) = _values(url, AUTH_KEY_PARAM)
    return _one_key(values)


def _one_key(values: set[str]) -> str:
    if len(values) > 1:
        raise MalformedAuthKeyError(
            "The callback carries several different auth_key values; the site "
            "sends exactly one."
        )
    return validate_auth_key(values.pop() if values else None)
