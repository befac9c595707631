"""Turn Sngine's ``user_info`` row into OpenID Connect standard claims.

Sngine sends a MySQL row: every value a string or null, relative upload paths,
gender names that changed between releases. :func:`normalize_userinfo` returns
Authlib's own :class:`~authlib.oidc.core.UserInfo` (a ``dict``) with the
standard claim names, leaves out every empty value, and keeps the site's
original row, untouched, under the ``user_info`` claim.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from authlib.oidc.core import UserInfo

from ._options import Endpoints
from ._sngine import DEFAULT_BASE_URL, USERINFO_KEY
from .errors import UnexpectedResponseError

__all__ = ["RAW_CLAIM", "issuer", "normalize_userinfo"]

#: The claim under which the site's original ``user_info`` row is kept.
RAW_CLAIM = USERINFO_KEY

# Sngine 2.x stores "male"/"female"/"other"; 3.x+ shows a display name from an
# admin-editable, translated table. These are the spellings seen in the wild.
_GENDERS = {
    "male": "male",
    "m": "male",
    "man": "male",
    "мужской": "male",
    "мужчина": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
    "женский": "female",
    "женщина": "female",
    "other": "other",
    "другой": "other",
}
_NO_GENDER = frozenset({"n/a", "na", "none", "-", "0"})
_MAX_CLAIM_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _text(row: Mapping[str, Any], name: str) -> str | None:
    """A field as stripped text, or None when it is null, empty, longer than
    :data:`_MAX_CLAIM_LENGTH`, not text (a number counts, for ``user_id``),
    or text that no encoding can write (a lone surrogate such as ``"\\ud800"``,
    which JSON lets a site send: a claim that raises ``UnicodeEncodeError``
    in a URL, a template or a database is no use to anyone)."""
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    value = str(value).strip()
    if not value or len(value) > _MAX_CLAIM_LENGTH or not _encodable(value):
        return None
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def issuer(base_url: str) -> str:
    """The ``iss`` claim of a site: its base URL with the scheme and host in
    lower case and the scheme's default port left out, so that the ways of
    writing one site's address give one issuer.

    Example::

        >>> issuer("HTTPS://Social.Example:443/net")
        'https://social.example/net'
    """
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    shown_port = (
        "" if port is None or port == _DEFAULT_PORTS.get(scheme) else f":{port}"
    )
    return f"{scheme}://{host}{shown_port}{parts.path}".rstrip("/")


def _subject(row: Mapping[str, Any]) -> str:
    user_id = _text(row, "user_id")
    if user_id is None:
        raise UnexpectedResponseError(
            "The site's user_info has no usable user_id, so the user cannot be "
            "identified."
        )
    return user_id


def _gender(value: str | None) -> str | None:
    if value is None or value.lower() in _NO_GENDER:
        return None
    return _GENDERS.get(value.lower(), value)


def _birthdate(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value[:10]).isoformat()
    except ValueError:  # "0000-00-00", or anything else that is not a date
        return None


def _is_absolute(url: str) -> bool:
    """An absolute http(s) URL with a host: the only kind a claim may hold
    (never ``javascript:``, ``data:`` or a scheme-relative ``//host``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # not a URL urllib can read ("http://[x": no closing ])
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def _web_url(value: str | None) -> str | None:
    return value if value is not None and _is_absolute(value) else None


def _picture(row: Mapping[str, Any], endpoints: Endpoints) -> str | None:
    uploaded = _text(row, "user_picture")
    shown = _text(row, "profile_picture")
    if (
        uploaded is not None
        and shown is not None
        and shown.startswith(endpoints.uploads_url)
        and not _is_absolute(uploaded)
        and shown.endswith(uploaded.lstrip("/"))
    ):
        # 3.13+: profile_picture is the upload under the site's (checked)
        # uploads base, so it is an absolute http(s) URL with a host.
        return shown
    if shown is not None and not _is_absolute(shown):
        shown = None
    if uploaded is None:
        # 3.13+ gives the default avatar here; 2.x/3.0 always the default avatar.
        return shown
    if _is_absolute(uploaded):
        return uploaded
    # 3.13+ builds profile_picture from the real uploads base (CDN included).
    if shown is not None and shown.endswith(uploaded.lstrip("/")):
        return shown
    return endpoints.uploads_url + uploaded.lstrip("/")


def normalize_userinfo(
    user_info: object,
    *,
    base_url: str | Endpoints = DEFAULT_BASE_URL,
    uploads_url: str | None = None,
) -> UserInfo:
    """Map a site's ``user_info`` object to OpenID Connect standard claims.

    ``base_url`` (or an :class:`~authlib_cashsocial._options.Endpoints`) is
    the ``iss`` claim (scheme and host in lower case, no default port):
    ``sub`` is the site's member number,
    unique only within that site, so an app keys its users by (``iss``,
    ``sub``). It also makes relative picture paths and the profile URL
    absolute. Raises
    :class:`~authlib_cashsocial.errors.UnexpectedResponseError` when the row is
    not an object or has no usable ``user_id``. A field that is not usable
    text (empty, over 2,048 characters, or text no encoding can write, such
    as a lone surrogate) leaves its claim out.

    Example::

        >>> claims = normalize_userinfo(
        ...     {"user_id": "7", "user_name": "anna", "user_firstname": "Анна",
        ...      "user_lastname": None, "user_gender": "Female",
        ...      "user_birthdate": "0000-00-00", "user_picture": "photos/a.jpg"},
        ...     base_url="https://social.example",
        ... )
        >>> claims["iss"], claims["sub"]
        ('https://social.example', '7')
        >>> claims["name"], claims["gender"], "birthdate" in claims
        ('Анна', 'female', False)
        >>> claims["picture"]
        'https://social.example/content/uploads/photos/a.jpg'
        >>> claims["user_info"]["user_lastname"] is None
        True
    """
    if not isinstance(user_info, Mapping):
        raise UnexpectedResponseError(
            f"The site's user_info is a JSON {type(user_info).__name__}, not an object."
        )
    endpoints = (
        base_url
        if isinstance(base_url, Endpoints)
        else Endpoints.from_base_url(
            base_url, uploads_url=uploads_url, allow_insecure=True
        )
    )
    row = user_info
    username = _text(row, "user_name")
    given = _text(row, "user_firstname")
    family = _text(row, "user_lastname")
    full_name = " ".join(part for part in (given, family) if part) or username
    claims: dict[str, Any] = {
        "iss": issuer(endpoints.base_url),
        "sub": _subject(row),
        "preferred_username": username,
        "name": full_name,
        "given_name": given,
        "family_name": family,
        "email": _text(row, "user_email"),
        "gender": _gender(_text(row, "user_gender")),
        "birthdate": _birthdate(_text(row, "user_birthdate")),
        "picture": _picture(row, endpoints),
        "profile": endpoints.profile_url(username) if username else None,
        "website": _web_url(_text(row, "user_website")),
    }
    result = UserInfo({k: v for k, v in claims.items() if v is not None})
    result[RAW_CLAIM] = dict(row)
    return result
