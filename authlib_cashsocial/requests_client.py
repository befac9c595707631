"""The requests client: Authlib's ``OAuth2Session`` speaking Sngine."""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import requests
import urllib3
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.client import DEFAULT_HEADERS as TOKEN_REQUEST_HEADERS
from authlib.oauth2.client import OAuth2Client
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from ._client import ClientMixin
from ._requests_transport import DeadlineAdapter
from ._transport import ACCEPT_ENCODING, BodyReader, check_destination, redirect_error

__all__ = ["CashSocialSession", "SharedConnections"]

_PREFIXES = ("https://", "http://")
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
CHUNK_SIZE = 64 * 1024


class SharedConnections:
    """One pool of keep-alive connections to the site, shared by every
    session a registered app creates (Authlib makes a new session per call).

    urllib3's pool behind it is thread-safe; ``close()`` closes its idle
    connections (the Flask and Django apps call it from their ``close()``).

    Example::

        connections = SharedConnections()
        with CashSocialSession(APP_ID, SECRET, connections=connections) as s:
            ...                      # the session's close() leaves the pool open
        connections.close()
    """

    def __init__(self, *, pool_maxsize: int = 100) -> None:
        self.adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=pool_maxsize)

    @classmethod
    def for_client_kwargs(
        cls, client_kwargs: dict[str, Any], *, pool_size: int = 100
    ) -> SharedConnections:
        """The pool of a registered app, ``pool_size`` connections to the site
        kept alive at most."""
        # proxies, verify, cert... are session settings in requests: they keep
        # working over a shared adapter.
        return cls(pool_maxsize=pool_size)

    def close(self) -> None:
        self.adapter.close()


_PLAIN_VALUES = (type(None), bool, int, float, str, bytes)
# The copiers of plain values (the value itself, every time).
_SAME: set[Callable[[], Any]] = set()
_Copier = Callable[[], Any]


def _copier(value: Any) -> _Copier | None:
    """How to make, for a new session, a value equal to a fresh
    ``requests.Session``'s ``value`` (and as unshared); None when this does
    not know how for its type."""
    if isinstance(value, _PLAIN_VALUES):

        def same() -> Any:
            return value

        _SAME.add(same)
        return same
    if type(value) is RequestsCookieJar and not len(value):
        return RequestsCookieJar  # what cookiejar_from_dict({}) returns
    if type(value) is CaseInsensitiveDict and _is_plain_store(value):
        return functools.partial(_headers_like, vars(value)["_store"])
    plain_mapping = type(value) in (dict, OrderedDict) and all(
        isinstance(v, _PLAIN_VALUES) for v in value.values()
    )
    if plain_mapping or type(value) is CaseInsensitiveDict:
        copy: _Copier = value.copy
        return copy
    if type(value) is dict and all(type(v) is list for v in value.values()):
        if not any(value.values()):  # requests' default_hooks(): empty lists
            events = tuple(value)
            return lambda: {event: [] for event in events}
        return lambda: {key: list(items) for key, items in value.items()}
    return None


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


def session_attributes_recipe(
    template: requests.Session,
) -> tuple[tuple[str, _Copier], ...] | None:
    """What ``requests.Session.__init__`` sets on a session, read from the
    fresh ``template``, as makers of equal, unshared values; the transport
    adapters come out empty. None when an attribute has a type this cannot
    copy (a requests release newer than this package knows): then sessions
    are built by requests itself."""
    recipe: list[tuple[str, _Copier]] = []
    for name, value in vars(template).items():
        if name == "adapters":
            if type(value) not in (dict, OrderedDict) or not value:
                return None
            recipe.append((name, type(value)))
            continue
        make = _copier(value)
        if make is None:
            return None
        recipe.append((name, make))
    return tuple(recipe)


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
    recipe: tuple[tuple[str, _Copier], ...], defaults: dict[str, Any]
) -> Callable[[Any, Any, Any, dict[str, Any]], None]:
    # Plain values are set as they are; the others are made anew each time.
    plain = [(name, make()) for name, make in recipe if make in _SAME]
    made = [(name, make) for name, make in recipe if make not in _SAME]

    def build(
        session: Any, client_id: Any, client_secret: Any, kwargs: dict[str, Any]
    ) -> None:
        for name, value in plain:  # requests.Session.__init__, minus adapters
            setattr(session, name, value)
        for name, make in made:
            setattr(session, name, make())
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


def describe_session(session: Any) -> dict[str, Any]:
    """A session's attributes, comparable between two sessions: plain
    values as they are, the session itself as ``"<self>"``, other objects
    as their type and (for Authlib's and requests' own objects) their
    attributes; the transport adapters by their prefixes only."""

    def describe(value: Any, depth: int = 0) -> Any:
        if value is session:
            return "<self>"
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


class _FormCarriesCredentials(AuthBase):
    """The exchange's ``auth``: its credentials are in its form already, and
    nothing else is added (without an ``auth``, requests would look up
    ``~/.netrc`` credentials for the site)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_FORM_CARRIES_CREDENTIALS = _FormCarriesCredentials()


class CashSocialSession(ClientMixin, _LeanOAuth2Session):
    """A ``requests`` session for one Sngine app, built on Authlib's
    ``OAuth2Session``.

    Options (keyword-only, besides ``OAuth2Session``'s own) are those of the
    *Configuration* page: ``base_url``, ``token_method``, ``token_lifetime``,
    ``timeout``, ``max_response_size``, ``allow_insecure``, ``uploads_url``;
    ``app_id`` and ``app_secret`` are aliases of the first two arguments. An
    unknown option raises :class:`~authlib_cashsocial.errors.ConfigurationError`.

    Example::

        session = CashSocialSession(APP_ID, APP_SECRET)
        url, state = session.create_authorization_url()   # send the user there
        # ... the site redirects to your App Redirect URL with ?auth_key=...
        session.fetch_token(authorization_response=request_url)
        profile = session.userinfo()   # {"sub": "123", "name": ..., ...}
    """

    http_keywords = REQUESTS_SESSION_KWARGS
    timeout_keyword = "default_timeout"
    # Reading the raw body (below) can raise urllib3's own errors.
    transport_errors = (requests.RequestException, urllib3.exceptions.HTTPError)
    timeout_errors = (requests.Timeout, urllib3.exceptions.TimeoutError)

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        connections: SharedConnections | None = kwargs.pop("connections", None)
        super().__init__(client_id, client_secret, **kwargs)
        self._shared = connections
        adapter = (
            connections.adapter
            if connections
            else DeadlineAdapter(pool_maxsize=self.dialect.settings.pool_size)
        )
        if self.adapters:
            for prefix in _PREFIXES:
                self.mount(prefix, adapter)
        else:  # what the two mounts give (the longer prefix first)
            self.adapters.update((prefix, adapter) for prefix in _PREFIXES)

    def _send_exchange(self, method: str, params: dict[str, Any]) -> Any:
        """What Authlib's ``fetch_token`` does for this grant (its headers,
        the ``access_token_response`` compliance hooks, then
        ``parse_response_token``), with Sngine's form written once: Authlib
        would encode OAuth's form, decode it for requests to encode again,
        and the client authentication method would parse it and write
        Sngine's."""
        options = dict(params)
        url, form = self.dialect.token_request(
            method,
            options.pop("url"),
            self.client_id,
            self.client_secret,
            options.pop("code"),
        )
        del options["grant_type"]
        headers = options.pop("headers", None)
        response = self.request(
            method,
            url,
            data=form,
            headers=TOKEN_REQUEST_HEADERS if headers is None else headers,
            withhold_token=True,
            auth=_FORM_CARRIES_CREDENTIALS,
            **options,
        )
        for hook in self.compliance_hook["access_token_response"]:
            response = hook(response)
        return self.parse_response_token(response)

    def close(self) -> None:
        """Close this session; a shared pool stays open for the next one."""
        if self._shared is not None:
            for prefix in _PREFIXES:
                if self.adapters.get(prefix) is self._shared.adapter:
                    del self.adapters[prefix]
        super().close()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        """requests' ``send``, to the site's origin only, following no
        redirect, and reading the body here, decoded, up to
        ``max_response_size`` (unless the caller streams)."""
        settings = self.dialect.settings
        check_destination(request.url or "", settings.endpoints.base_url)
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        caller_streams = bool(kwargs.get("stream"))
        kwargs.update(stream=True, allow_redirects=False)
        response: requests.Response = super().send(request, **kwargs)
        if response.is_redirect or 300 <= response.status_code < 400:
            response.close()
            raise redirect_error(
                response.status_code, response.headers.get("location"), response.url
            )
        if caller_streams:
            return response
        try:
            reader = BodyReader.for_headers(
                response.headers, limit=settings.max_response_size
            )
            for chunk in response.raw.stream(CHUNK_SIZE, decode_content=False):
                reader.feed(chunk)
            if response.raw.length_remaining:  # urllib3 1.26 lets it pass silently
                raise urllib3.exceptions.ProtocolError(
                    "body shorter than Content-Length"
                )
            body = reader.body()
        finally:
            response.close()
        # requests keeps a read body in _content; it has no public setter.
        response._content = body
        response.headers.pop("Content-Encoding", None)
        return response
