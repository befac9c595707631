"""How a per-call requests session is built quickly.

Authlib's framework apps build a new HTTP session for every call, so the
work of building one is paid on every login. Two ways cut it, each checked
once per process against a standard build, falling back to it on any
difference:

* the lean build (:class:`_LeanOAuth2Session`): ``OAuth2Session.__init__``
  without the two ``HTTPAdapter`` that ``requests.Session.__init__`` creates
  and a ``CashSocialSession`` replaces at once;
* the copy of a prototype (:class:`Prototypes`): sessions built with the same
  arguments over a shared pool end up alike, so one is built the standard
  way, kept, and each new one gets its settings as they are and its own new
  containers (headers, cookies, hooks, token holder).
"""

from __future__ import annotations

import functools
import inspect
import threading
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.client import OAuth2Client
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

__all__ = [
    "REQUESTS_SESSION_KWARGS",
    "Prototypes",
    "describe_session",
    "session_attributes_recipe",
]

# What requests.Session takes as attributes, which Authlib's OAuth2Session
# sets from its keyword arguments.
REQUESTS_SESSION_KWARGS = (
    "proxies",
    "hooks",
    "stream",
    "verify",
    "cert",
    "max_redirects",
    "trust_env",
)

_PLAIN_VALUES = (type(None), bool, int, float, str, bytes)


def _is_plain_store(headers: CaseInsensitiveDict[Any]) -> bool:
    """Whether ``headers`` keeps its items as requests 2.x does: an
    ``OrderedDict`` of ``lower-case name: (name, value)`` and nothing else."""
    store = vars(headers).get("_store")
    return (
        set(vars(headers)) == {"_store"}
        and type(store) is OrderedDict
        and all(type(item) is tuple and len(item) == 2 for item in store.values())
    )


def _headers_like(store: OrderedDict[str, tuple[str, Any]]) -> CaseInsensitiveDict[Any]:
    """A new ``CaseInsensitiveDict`` with the items of ``store``: what its
    ``copy()`` gives, without adding them one by one."""
    headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
    vars(headers)["_store"] = OrderedDict(store)
    return headers


#: What a new session's attributes are made from: those set as they are,
#: and those made anew for it (``name``, ``make(new_session)``).
_Recipe = tuple[dict[str, Any], tuple[tuple[str, Callable[[Any], Any]], ...]]


def _empty_like(value: Any) -> Callable[[Any], Any]:
    kind = type(value)
    return lambda _new: kind()


def session_attributes_recipe(template: requests.Session) -> _Recipe | None:
    """What ``requests.Session.__init__`` sets on a session, read from the
    fresh ``template`` (and a twin of it, to tell what every session shares)
    the way a prototype is copied (:func:`_maker`); the transport adapters
    come out empty. None when an attribute has a type this cannot copy (a
    requests release newer than this package knows): then sessions are
    built by requests itself."""
    twin = type(template)()
    twin.close()
    twin_fields = vars(twin)
    shared: dict[str, Any] = {}
    made: list[tuple[str, Callable[[Any], Any]]] = []
    for name, value in vars(template).items():
        if name == "adapters":
            if type(value) not in (dict, OrderedDict) or not value:
                return None
            made.append((name, _empty_like(value)))
            continue
        make = _maker(value, twin_fields.get(name, _MISSING), template)
        if make is None:
            return None
        if make is SHARED:
            shared[name] = value
        else:
            made.append((name, make))
    return shared, tuple(made)


def _oauth2_session_defaults() -> dict[str, Any]:
    """The defaults Authlib's ``OAuth2Session.__init__`` gives
    ``OAuth2Client.__init__`` for the named arguments it does not get."""
    skip = {"self", "client_id", "client_secret", "default_timeout"}
    return {
        p.name: p.default
        for p in inspect.signature(OAuth2Session.__init__).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in skip
    }


try:  # Authlib's own list of the requests settings OAuth2Session takes
    from authlib.integrations.requests_client.utils import (
        update_session_configure as _update_session_configure,
    )
except ImportError:  # pragma: no cover - every release from 1.0 has it

    def _update_session_configure(session: Any, kwargs: dict[str, Any]) -> None:
        for name in REQUESTS_SESSION_KWARGS:
            if name in kwargs:
                setattr(session, name, kwargs.pop(name))


class _LeanOAuth2Session(OAuth2Session):  # type: ignore[misc]
    """Authlib's ``OAuth2Session``, built without the two ``HTTPAdapter``
    (each with its pool manager) that ``requests.Session.__init__`` creates
    and a ``CashSocialSession`` replaces at once: it is built per call.

    ``__init__`` does what ``OAuth2Session.__init__`` does, with
    ``requests.Session``'s attributes copied from one fresh session kept as
    a template (:func:`session_attributes_recipe`). Before the first lean
    build, one session is built both ways and compared (attribute names,
    types and plain values); if anything differs (a newer requests or
    Authlib than this package knows), every session is built the standard
    way. ``lean_construction = False`` on a subclass does the same.
    """

    #: False: build as requests and Authlib do (two default adapters).
    lean_construction = True

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        build = _lean_builder() if self.lean_construction else None
        if build is None:
            OAuth2Session.__init__(self, client_id, client_secret, **kwargs)
        else:
            build(self, client_id, client_secret, kwargs)


def _lean_build(
    recipe: _Recipe, defaults: dict[str, Any]
) -> Callable[[Any, Any, Any, dict[str, Any]], None]:
    shared, made = recipe

    def build(
        session: Any, client_id: Any, client_secret: Any, kwargs: dict[str, Any]
    ) -> None:
        state = vars(session)  # requests.Session.__init__, minus adapters
        state.update(shared)
        for name, make in made:
            state[name] = make(session)
        session.default_timeout = kwargs.pop("default_timeout", None)
        _update_session_configure(session, kwargs)
        OAuth2Client.__init__(
            session,
            session=session,
            client_id=client_id,
            client_secret=client_secret,
            **{**defaults, **kwargs},
        )

    return build


@functools.cache
def _lean_builder() -> Callable[[Any, Any, Any, dict[str, Any]], None] | None:
    """The lean build, once it is shown to give what the standard one gives
    (else None). Worked out once per process; two threads that race here
    both reach the same answer."""
    template = requests.Session()
    template.close()
    recipe = session_attributes_recipe(template)
    if recipe is None:
        return None
    build = _lean_build(recipe, _oauth2_session_defaults())
    arguments = {"token_placement": "uri", "leeway": 0, "default_timeout": 5}
    standard = OAuth2Session("id", "secret", **arguments)
    standard.close()
    lean = _LeanOAuth2Session.__new__(_LeanOAuth2Session)
    build(lean, "id", "secret", dict(arguments))
    expected = describe_session(standard)
    del expected["adapters"]  # the two defaults, which the lean build leaves out
    return build if describe_session(lean) == {**expected, "adapters": []} else None


def _weakly_refers_to(value: Any, session: Any) -> bool:
    """Whether ``value`` is a weak proxy to ``session`` (a proxy forwards
    ``__dict__``: the same dict is the same object)."""
    return type(value) in weakref.ProxyTypes and value.__dict__ is vars(session)


def describe_session(session: Any) -> dict[str, Any]:
    """A session's attributes, comparable between two sessions: plain
    values as they are, the session itself as ``"<self>"``, other objects
    as their type and (for Authlib's and requests' own objects) their
    attributes; the transport adapters by their prefixes only."""

    def describe(value: Any, depth: int = 0) -> Any:
        if value is session:
            return "<self>"
        if _weakly_refers_to(value, session):
            return "<weak self>"
        if isinstance(value, _PLAIN_VALUES):
            return value
        if isinstance(value, RequestsCookieJar):
            return ("cookies", sorted(value.items()))
        if isinstance(value, (dict, CaseInsensitiveDict)):
            return (type(value), {k: describe(v, depth) for k, v in value.items()})
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [describe(v, depth) for v in value]
            return (
                type(value),
                sorted(items, key=repr)
                if isinstance(value, (set, frozenset))
                else items,
            )
        if inspect.ismethod(value):
            return ("method", value.__func__, describe(value.__self__, depth))
        module = type(value).__module__
        if depth < 2 and module.startswith(
            ("authlib.", "requests.", "authlib_cashsocial.")
        ):
            return (type(value), describe(vars(value), depth + 1))
        return value

    return {
        name: list(value) if name == "adapters" else describe(value)
        for name, value in vars(session).items()
    }


# ------------------------------------------------------------ the prototypes

_CALLABLES = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.MethodWrapperType,
)
_Maker = Callable[[Any], Any]  # the new session -> its own value
_MISSING: Any = object()


def _key_value(value: Any, long_lived: tuple[type, ...]) -> Any:
    """What stands for ``value`` in a key: a plain value with its type
    (1, 1.0 and True are equal dict keys; -0.0 and 0.0 too), or a
    long-lived object (or its method) itself; ``_MISSING`` otherwise."""
    kind = type(value)
    if kind in _PLAIN_VALUES:
        return (kind, repr(value) if kind is float else value)
    if isinstance(value, long_lived) or (
        isinstance(value, types.MethodType) and isinstance(value.__self__, long_lived)
    ):
        return value
    return _MISSING


def prototype_key(
    cls: type,
    client_id: Any,
    client_secret: Any,
    kwargs: dict[str, Any],
    long_lived: tuple[type, ...],
) -> tuple[Any, ...] | None:
    """What sessions built alike have in common, or None when an argument is
    neither a plain value nor a ``long_lived`` object or its method (a dict,
    a token, a function made per call...): such sessions get a build."""
    parts = [_key_value(client_id, ()), _key_value(client_secret, ())]
    named = [(name, _key_value(value, long_lived)) for name, value in kwargs.items()]
    if _MISSING in parts or any(part is _MISSING for _name, part in named):
        return None
    try:
        return (cls, *parts, frozenset(named))
    except TypeError:  # a method of an unhashable object
        return None


#: What ``_maker`` says of a value every session shares (set as it is).
SHARED: Any = object()


def _is_shared(value: Any, twin: Any) -> bool:
    return (
        type(value) in _PLAIN_VALUES or isinstance(value, _CALLABLES) or value is twin
    )


def _maker(value: Any, twin: Any, session: Any, depth: int = 0) -> Any:
    """How a new session gets its own ``value`` (from the prototype
    ``session``), where ``twin`` is the same value in a second standard
    build: ``SHARED`` where a standard build shares it, else a function
    that makes it anew for the new session. None when this does not know
    how."""
    if value is session:
        return lambda new: new
    if _weakly_refers_to(value, session):
        return weakref.proxy
    if _is_shared(value, twin):
        return SHARED
    if depth > 1:
        return None
    if type(value) is RequestsCookieJar and not len(value):
        return lambda _new: RequestsCookieJar()
    if type(value) is CaseInsensitiveDict and _is_plain_store(value):
        store = vars(value)["_store"]
        return lambda _new: _headers_like(store)
    if type(value) in (list, set) and all(_is_shared(item, None) for item in value):
        copy = value.copy
        return lambda _new: copy()
    if type(value) in (dict, OrderedDict) and type(twin) is type(value):
        if value.keys() != twin.keys():
            return None
        makers = {
            key: _maker(item, twin[key], session, depth + 1)
            for key, item in value.items()
        }
        if all(make is SHARED for make in makers.values()):
            whole = value.copy
            return lambda _new: whole()
        if None in makers.values() or any(v is session for v in value.values()):
            return None
        # A dict of lists or sets (requests' hooks, Authlib's compliance hooks).
        inner = value.items()
        if all(type(item) in (list, set) for _key, item in inner) and all(
            make is not SHARED for make in makers.values()
        ):
            if type(value) is dict:
                return lambda _new: {key: item.copy() for key, item in inner}
            kind = type(value)
            return lambda _new: kind((key, item.copy()) for key, item in inner)
        return None
    module = type(value).__module__
    if module.startswith(("authlib.", "requests.")) and type(twin) is type(value):
        # An object of Authlib's or requests' that is made per session (the
        # token holder): a new one, its attributes made the same way.
        fields, twin_fields = vars(value), vars(twin)
        if fields.keys() != twin_fields.keys():
            return None
        makers = {
            name: _maker(item, twin_fields[name], session, depth + 1)
            for name, item in fields.items()
        }
        if None in makers.values():
            return None
        shared = {name: fields[name] for name, make in makers.items() if make is SHARED}
        made = [(name, make) for name, make in makers.items() if make is not SHARED]
        kind = type(value)

        def copy_object(new: Any) -> Any:
            result = object.__new__(kind)
            state = vars(result)
            state.update(shared)
            for name, make in made:
                state[name] = make(new)
            return result

        return copy_object
    return None


def _containers(value: Any, depth: int = 0) -> Iterator[int]:
    """The ids of the mutable things reachable from ``value`` (two levels)."""
    if type(value) in _PLAIN_VALUES or isinstance(value, _CALLABLES) or depth > 2:
        return
    if isinstance(value, (dict, OrderedDict, list, set, CaseInsensitiveDict)):
        yield id(value)
        items = value.values() if hasattr(value, "values") else value
        for item in items:
            yield from _containers(item, depth + 1)
    elif isinstance(value, RequestsCookieJar):
        yield id(value)
    elif hasattr(value, "__dict__") and type(value).__module__.startswith(
        ("authlib.", "requests.")
    ):
        yield id(value)
        for item in vars(value).values():
            yield from _containers(item, depth + 1)


class _Copy:
    """Fills a new session from one prototype."""

    def __init__(
        self, prototype: Any, shared: dict[str, Any], made: list[tuple[str, _Maker]]
    ) -> None:
        self.prototype = prototype  # kept, never handed out
        self.shared = shared
        self.made = made

    def __call__(self, session: Any) -> None:
        state = vars(session)
        state.update(self.shared)
        for name, make in self.made:
            state[name] = make(session)

    @classmethod
    def checked(cls, build: Callable[[], Any]) -> _Copy | None:
        """A copier made from two standard builds: used only if the copy it
        makes equals the second build and shares nothing mutable with the
        prototype but what the standard builds share with each other."""
        prototype, twin = build(), build()
        twin_fields = vars(twin)
        shared: dict[str, Any] = {}
        made: list[tuple[str, _Maker]] = []
        for name, value in vars(prototype).items():
            make = (
                _maker(value, twin_fields[name], prototype)
                if name in twin_fields
                else None
            )
            if make is None:
                return None
            if make is SHARED:
                shared[name] = value
            else:
                made.append((name, make))
        copier = cls(prototype, shared, made)
        copy = object.__new__(type(prototype))
        copier(copy)
        shared_by_builds = set(_containers(vars(prototype))) & set(
            _containers(vars(twin))
        )
        shared_with_copy = set(_containers(vars(prototype))) & set(
            _containers(vars(copy))
        )
        same = (
            describe_session(copy) == describe_session(twin)
            and copy.adapters == twin.adapters
            and shared_with_copy <= shared_by_builds
        )
        twin.close()
        copy.close()
        return copier if same else None


class Prototypes:
    """Kept prototypes, one per set of constructor arguments (at most
    ``KEPT``; the oldest are forgotten together)."""

    KEPT = 64

    def __init__(self) -> None:
        self._copiers: dict[tuple[Any, ...], _Copy | None] = {}
        self._lock = threading.Lock()

    def copier(self, key: tuple[Any, ...], build: Callable[[], Any]) -> _Copy | None:
        """The copier for ``key``, made with ``build`` the first time (two
        threads that race here both make a correct one)."""
        with self._lock:
            found = self._copiers.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        made = _Copy.checked(build)
        with self._lock:
            if len(self._copiers) >= self.KEPT:
                self._copiers.clear()
            self._copiers[key] = made
        return made
