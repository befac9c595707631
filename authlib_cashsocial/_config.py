"""Options read from a framework's configuration, whole.

Each framework keeps a registration's settings in a place of its own: Flask's
``app.config`` and Starlette's ``Config`` under the prefix ``CASHSOCIAL_``
(the registration's name, upper-cased), Django's
``AUTHLIB_OAUTH_CLIENTS["cashsocial"]``, django-allauth's
``SOCIALACCOUNT_PROVIDERS["cashsocial"]``, social-core's
``SOCIAL_AUTH_CASHSOCIAL_*``. Authlib reads only the keys it knows there (the
credentials and its endpoints). The readers here take every key in that
place: a key nothing reads (``CASHSOCIAL_BASE_ULR``) is a
:class:`~authlib_cashsocial.errors.ConfigurationError` whose did-you-mean is
the key to write, never a silent fall-back to the default site with the
app's secret. Each value keeps the key it was set with, so that an error
about it names that key.

Framework-free: the adapters hand in their mappings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from authlib.integrations.base_client.registry import OAUTH_CLIENT_PARAMS

from ._options import APP_OPTIONS, OPTIONS
from .errors import ConfigurationError

__all__ = [
    "REGISTRATION_KEYS",
    "ConfigRead",
    "StackOptions",
    "allauth_options",
    "keys_for",
    "read_mapping",
    "read_prefixed",
    "read_text_config",
    "social_options",
]

#: What a registration reads from the framework's configuration: this
#: package's options and every key Authlib's own reading takes
#: (``client_kwargs``, ``authorize_url``...; those an Sngine site has no use
#: for are refused with their own message when they carry a value).
REGISTRATION_KEYS: frozenset[str] = frozenset(
    {"client_id", "client_secret", *APP_OPTIONS, *OAUTH_CLIENT_PARAMS}
)
_DEFAULTS = {option.name: option.default for option in OPTIONS}
_SEE = "The Configuration page of the docs lists every option and its key."


@dataclass(frozen=True)
class ConfigRead:
    """The options found in one framework's configuration.

    Example::

        >>> read = read_prefixed({"CASHSOCIAL_TIMEOUT": 5}.items(), name="cashsocial")
        >>> read.values, read.keys, read.spell("base_url")
        ({'timeout': 5}, {'timeout': 'CASHSOCIAL_TIMEOUT'}, 'CASHSOCIAL_BASE_URL')
    """

    #: The key a user writes for an option, in this framework.
    spell: Callable[[str], str]
    #: Option name -> value.
    values: dict[str, Any] = field(default_factory=dict)
    #: Option name -> the key it was set with.
    keys: dict[str, str] = field(default_factory=dict)


def _unknown(key: str, option: str, accepted: Iterable[str], spell: Any) -> Exception:
    close = difflib.get_close_matches(option, sorted(accepted), n=1, cutoff=0.6)
    hint = f" Did you mean {spell(close[0])}?" if close else ""
    return ConfigurationError(
        f"{key} is not a setting of this registration: nothing would read it.{hint} "
        + _SEE,
        option=key,
    )


def _of_a_longer_name(rest: str, accepted: Iterable[str]) -> bool:
    """``rest`` is ``EU_CLIENT_ID``: a key of a registration named
    ``cashsocial_eu``, whose prefix starts with ours."""
    return any(
        rest.endswith("_" + key) and len(rest) > len(key) + 1 for key in accepted
    )


def _squeezed(text: str) -> str:
    return text.upper().replace("_", "").replace("-", "")


def _misspelt_option(
    key: str, name: str, accepted: Iterable[str] = REGISTRATION_KEYS
) -> str | None:
    """The option that ``key`` names under another case or separators than
    ``{NAME}_{OPTION}`` (``cashsocial_base_url``, ``CASH_SOCIAL_BASE_URL``):
    read by nothing, such a key would leave the default site in place."""
    squeezed, head = _squeezed(key), _squeezed(name)
    if not squeezed.startswith(head):
        return None
    rest = squeezed[len(head) :]
    return next((o for o in sorted(accepted) if _squeezed(o) == rest), None)


def read_prefixed(
    items: Iterable[tuple[str, Any]],
    *,
    name: str,
    written_prefix: str = "",
    text: bool = False,
) -> ConfigRead:
    """Flask's ``app.config`` (and Starlette's entries): every key
    ``{NAME}_...`` of the registration ``name``, as Authlib spells them.
    ``written_prefix`` is what the user writes before that (Starlette's
    ``env_prefix``); ``text`` converts the text of a number or flag option
    (environment values are text)."""
    start = f"{name.upper()}_"

    def spell(option: str) -> str:
        return f"{written_prefix}{start}{option.upper()}"

    read = ConfigRead(spell)
    for key, value in items:
        if not isinstance(key, str):
            continue
        if not key.startswith(start):
            if (misspelt := _misspelt_option(key, name)) is not None:
                raise _unknown(written_prefix + key, misspelt, [misspelt], spell)
            continue
        option = key[len(start) :].lower()
        if option in REGISTRATION_KEYS:
            read.values[option] = _from_text(option, value) if text else value
            read.keys[option] = written_prefix + key
        elif not _of_a_longer_name(option, REGISTRATION_KEYS):
            raise _unknown(written_prefix + key, option, REGISTRATION_KEYS, spell)
    return read


def read_text_config(
    config: Any, name: str, load: Callable[[Iterable[str]], Any]
) -> ConfigRead:
    """Starlette's ``Config``: the keys of its env file and of its environ
    (the two mappings ``Config.get`` reads; the environ wins, as there),
    after its ``env_prefix``. Another object with a ``get`` cannot be
    listed: ``load(keys)`` (Authlib's ``load_config``) reads this package's
    options from it key by key, so a typo there cannot be caught."""
    written_prefix = getattr(config, "env_prefix", "")
    file_values = getattr(config, "file_values", None)
    environ = getattr(config, "environ", None)
    if not (isinstance(file_values, Mapping) and isinstance(environ, Mapping)):
        read = ConfigRead(lambda option: f"{name.upper()}_{option.upper()}")
        for option, value in (load(APP_OPTIONS) or {}).items():
            read.values[option] = _from_text(option, value)
            read.keys[option] = f"{name.upper()}_{option.upper()}"
        return read
    entries: dict[str, Any] = {}
    for source in (file_values, environ):
        for key in list(source):
            if isinstance(key, str) and key.startswith(written_prefix):
                entries[key[len(written_prefix) :]] = source[key]
    return read_prefixed(
        entries.items(), name=name, written_prefix=written_prefix, text=True
    )


def read_mapping(config: object, *, where: str) -> ConfigRead:
    """Django's ``AUTHLIB_OAUTH_CLIENTS[name]`` (``where``): a dict of
    option names."""

    def spell(option: str) -> str:
        return f"{where}[{option!r}]"

    read = ConfigRead(spell)
    if config is None:
        return read
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            f"{where} must be a dict of options, not {type(config).__name__}.",
            option=where,
        )
    for option, value in config.items():
        if option not in REGISTRATION_KEYS:
            raise _unknown(spell(option), str(option), REGISTRATION_KEYS, spell)
        read.values[option] = value
        read.keys[option] = spell(option)
    return read


def _from_text(option: str, value: Any) -> Any:
    """A number or flag written as text (an environment variable), as
    Starlette's ``Config`` casts it; anything else as it is."""
    default = _DEFAULTS.get(option)
    if not isinstance(value, str):
        return value
    if isinstance(default, bool):
        flags = {"true": True, "1": True, "false": False, "0": False}
        return flags.get(value.strip().lower(), value)
    if isinstance(default, (int, float)):
        for number in (int, float):
            try:
                return number(value)
            except ValueError:
                pass
    return value


# ---------------------------------------------------------------- the stacks


class StackOptions(NamedTuple):
    """What a Django login stack hands to ``login_for``: the credentials,
    the options, and the key each was set with."""

    client_id: object
    client_secret: object
    options: dict[str, Any]
    names: dict[str, str]


def _own_options(
    given: Mapping[str, Any], where: str, *, also: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The options in ``given`` (a dict the user wrote at ``where``), each
    named as written; an unknown key raises with the key to write."""

    def spell(option: str) -> str:
        return f"{where}[{option!r}]"

    accepted = {*APP_OPTIONS, *also}
    for key in given:
        if key not in accepted:
            raise _unknown(spell(key), str(key), accepted, spell)
    options = {k: v for k, v in given.items() if k in APP_OPTIONS}
    return options, {k: spell(k) for k in options}


#: What django-allauth reads for any provider: in SOCIALACCOUNT_PROVIDERS[id],
#: in one app there, and in an app's ``settings``.
ALLAUTH_PROVIDER_KEYS = ("APPS", "APP", "VERIFIED_EMAIL", "EMAIL_AUTHENTICATION")
ALLAUTH_APP_FIELDS = (
    "name",
    "provider_id",
    "client_id",
    "secret",
    "key",
    "settings",
    "certificate_key",
)
ALLAUTH_APP_SETTINGS = ("hidden", "verified_email", "email_authentication")


def _allauth_app_configs(
    provider: Mapping[str, Any], where: str
) -> list[tuple[str, Mapping[str, Any]]]:
    apps = provider.get("APPS")
    if apps is not None:
        return [(f"{where}['APPS'][{i}]", app) for i, app in enumerate(apps)]
    if provider.get("APP") is not None:
        return [(f"{where}['APP']", provider["APP"])]
    return []


def check_allauth_provider(provider: Mapping[str, Any], provider_id: str) -> None:
    """``SOCIALACCOUNT_PROVIDERS[provider_id]``: every key is one allauth
    reads, and every app there has only allauth's fields (allauth drops any
    other: a ``base_url`` beside ``client_id`` instead of in ``settings``
    would fall back to the default site)."""
    where = f"SOCIALACCOUNT_PROVIDERS[{provider_id!r}]"
    first_app = next(iter(_allauth_app_configs(provider, where)), (f"{where}['APP']",))
    for key in provider:
        if key in ALLAUTH_PROVIDER_KEYS:
            continue
        if str(key).lower() in APP_OPTIONS:
            raise _belongs_in_settings(f"{where}[{key!r}]", first_app[0], str(key))
        raise _unknown(
            f"{where}[{key!r}]",
            str(key),
            ALLAUTH_PROVIDER_KEYS,
            lambda option: f"{where}[{option!r}]",
        )
    for at, app in _allauth_app_configs(provider, where):
        if not isinstance(app, Mapping):
            raise ConfigurationError(
                f"{at} must be a dict (client_id, secret, settings), not "
                f"{type(app).__name__}.",
                option=at,
            )
        for key in app:
            if key in ALLAUTH_APP_FIELDS:
                continue
            if str(key).lower() in APP_OPTIONS:
                raise _belongs_in_settings(f"{at}[{key!r}]", at, str(key))
            raise _unknown(
                f"{at}[{key!r}]",
                str(key),
                ALLAUTH_APP_FIELDS,
                lambda option, at=at: f"{at}[{option!r}]",
            )


def _belongs_in_settings(key: str, app_at: str, option: str) -> Exception:
    return ConfigurationError(
        f"{key} is not read there: this package's options go in the app's "
        f"settings, {app_at}['settings'][{option.lower()!r}]. " + _SEE,
        option=key,
    )


def allauth_options(
    provider_id: str, provider: Mapping[str, Any], app: Any
) -> StackOptions:
    """The options of allauth's ``SocialApp`` ``app`` (from the settings or
    a database row), checked with its provider's settings ``provider``."""
    check_allauth_provider(provider, provider_id)
    where = f"SOCIALACCOUNT_PROVIDERS[{provider_id!r}]"
    if getattr(app, "pk", None) is None:  # built from the settings
        at = next(
            (
                at
                for at, config in _allauth_app_configs(provider, where)
                if config.get("client_id") == app.client_id
            ),
            f"{where}['APPS'][...]",
        )
    else:
        at = f"SocialApp {app.name or app.pk!r}"
    settings = app.settings or {}
    if not isinstance(settings, Mapping):
        raise ConfigurationError(
            f"{at}['settings'] must be a dict of options, not "
            f"{type(settings).__name__}.",
            option=f"{at}['settings']",
        )
    options, names = _own_options(
        settings, f"{at}['settings']", also=ALLAUTH_APP_SETTINGS
    )
    names.update(client_id=f"{at}['client_id']", client_secret=f"{at}['secret']")
    return StackOptions(app.client_id, app.secret, options, names)


#: The backend's own settings under ``SOCIAL_AUTH_<NAME>_``.
SOCIAL_KEYS = ("KEY", "SECRET", "BASE_URL", "OPTIONS")


def social_options(
    backend_name: str,
    get: Callable[[str], Any],
    setting_names: Iterable[str],
) -> StackOptions:
    """social-core's ``SOCIAL_AUTH_<NAME>_KEY``, ``_SECRET``, ``_BASE_URL``
    and ``_OPTIONS`` (each read under the backend's own prefix only: a
    project's ``BASE_URL`` is not the site's). ``get(name)`` reads one
    setting (``None`` when unset); ``setting_names`` lists those that can be
    listed. social-core reads settings of its own under the same prefix
    (``_SCOPE``, ``_PIPELINE``... an open set), so a listed name is refused
    when it is one of this package's options (they go in ``_OPTIONS``) or
    close to one of the four keys above."""
    prefix = f"SOCIAL_AUTH_{backend_name.upper().replace('-', '_')}_"
    for full in setting_names:
        if not full.startswith(prefix):
            misspelt = _misspelt_option(full, prefix, SOCIAL_KEYS)
            if misspelt is not None:  # SOCIAL_AUTH_CASH_SOCIAL_BASE_URL
                raise ConfigurationError(
                    f"{full} is not read. Did you mean {prefix}{misspelt}? " + _SEE,
                    option=full,
                )
            continue
        rest = full[len(prefix) :]
        if rest in SOCIAL_KEYS:
            continue
        if rest.lower() in APP_OPTIONS:
            raise ConfigurationError(
                f"{full} is not read: put {rest.lower()!r} in "
                f"{prefix}OPTIONS ({prefix}OPTIONS = {{{rest.lower()!r}: ...}}). "
                + _SEE,
                option=full,
            )
        if _of_a_longer_name(rest, SOCIAL_KEYS):
            continue  # a backend named <name>_<more>
        close = difflib.get_close_matches(rest, SOCIAL_KEYS, n=1, cutoff=0.75)
        if close:
            raise ConfigurationError(
                f"{full} is not read. Did you mean {prefix}{close[0]}? " + _SEE,
                option=full,
            )
    given = get(prefix + "OPTIONS")
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise ConfigurationError(
            f"{prefix}OPTIONS must be a dict of options, not {type(given).__name__}.",
            option=prefix + "OPTIONS",
        )
    options, names = _own_options(given, prefix + "OPTIONS")
    base_url = get(prefix + "BASE_URL")
    if base_url is not None:
        if "base_url" in options and options["base_url"] != base_url:
            raise ConfigurationError(
                f"{prefix}BASE_URL and {prefix}OPTIONS['base_url'] differ: set one.",
                option=prefix + "BASE_URL",
            )
        options["base_url"] = base_url
        names["base_url"] = prefix + "BASE_URL"
    names.update(client_id=prefix + "KEY", client_secret=prefix + "SECRET")
    return StackOptions(get(prefix + "KEY"), get(prefix + "SECRET"), options, names)


def keys_for(option: str, name: str = "cashsocial") -> dict[str, str]:
    """The key a user writes for ``option`` in each framework and stack (the
    docs' table).

    Example::

        >>> keys_for("base_url")["Flask, Starlette"]
        'CASHSOCIAL_BASE_URL'
    """
    upper = name.upper()
    app = f"SOCIALACCOUNT_PROVIDERS[{name!r}]['APPS'][i]"
    social = f"SOCIAL_AUTH_{upper}_"
    stacks = {
        "client_id": (f"{app}['client_id']", f"{social}KEY"),
        "client_secret": (f"{app}['secret']", f"{social}SECRET"),
        "base_url": (f"{app}['settings']['base_url']", f"{social}BASE_URL"),
    }
    allauth, social_key = stacks.get(
        option, (f"{app}['settings'][{option!r}]", f"{social}OPTIONS[{option!r}]")
    )
    return {
        "Flask, Starlette": f"{upper}_{option.upper()}",
        "Django": f"AUTHLIB_OAUTH_CLIENTS[{name!r}][{option!r}]",
        "django-allauth": allauth,
        "social-auth": social_key,
    }
