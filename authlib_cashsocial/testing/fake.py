"""A fake Sngine site: the developer API and the pages a user clicks through.

It behaves as the docs' *Provider facts* page (docs/provider.rst) describes
real servers: errors as HTTP 200 JSON, single-use ``auth_key`` replaced by
each new visit, tokens that expire after 60 seconds of its own clock, the
same token for a new exchange inside that window, redirect URLs joined as
strings (two ``?``), and the token endpoint reading the query string
(releases before 4.0.4) or only the POST form (4.0.4 and later).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .._sngine import (
    MESSAGE_EXPIRED_ACCESS_TOKEN,
    MESSAGE_INVALID_ACCESS_TOKEN,
    MESSAGE_INVALID_APP_ID,
    MESSAGE_INVALID_APP_SECRET,
    MESSAGE_INVALID_AUTH_KEY,
    MESSAGE_INVALID_PARAMETERS,
    MESSAGE_UNKNOWN_APP,
)
from ._pages import favicon, html_page
from .faults import Fault, Slow

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

__all__ = [
    "RELEASES",
    "FakeApp",
    "FakeClock",
    "FakeSngine",
    "FakeUser",
    "RecordedRequest",
]

#: Releases whose behaviour the fake reproduces (what differs is noted in
#: :class:`FakeSngine`).
RELEASES = ("2.7", "3.0", "3.13", "4.0.3", "4.0.4", "4.2")
SESSION_COOKIE = "sngine_session"
#: The fake site's name, in its header and page titles.
SITE_TITLE = "Cash Social Network"
DEFAULT_AVATAR = "content/themes/default/images/blank_profile.png"
_GENDER_TITLES = {"male": "Male", "female": "Female", "other": "Other"}


def _version(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


class FakeClock:
    """A clock the tests move by hand; starts at the real time.

    Example::

        clock = FakeClock()
        fake = FakeSngine(clock=clock)
        clock.advance(61)          # every token issued so far has expired
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class FakeUser:
    """A member of the fake site. ``gender`` is ``male``/``female``/``other``,
    any other text (a site's own gender name), or None."""

    user_id: int
    user_name: str
    password: str
    email: str
    firstname: str
    lastname: str | None = None
    gender: str | None = "female"
    birthdate: str | None = None
    picture: str | None = None
    cover: str | None = None
    registered: str = "2024-05-01 12:00:00"
    verified: bool = False
    relationship: str | None = None
    biography: str | None = None
    website: str | None = None


@dataclass
class FakeApp:
    """An app registered on the fake site, with its App Redirect URL."""

    app_id: str
    app_secret: str
    redirect_url: str
    name: str = "Demo app"
    enabled: bool = True


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, for assertions in tests."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    form: Mapping[str, list[str]]
    remote_port: str

    def param(self, name: str) -> str | None:
        """The first value of ``name`` in the query, else in the form."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else None


@dataclass
class _Grant:
    """Sngine's row of a user's approval of an app (``users_apps``)."""

    auth_key: str | None = None
    access_token: str | None = None
    token_issued_at: float = 0.0


def _json(value: Any) -> Response:
    # Sngine's return_json(): always HTTP 200, application/json.
    return Response(json.dumps(value), status=200, mimetype="application/json")


def _error(message: str) -> Response:
    return _json({"error": True, "message": message})


@dataclass
class FakeSngine:
    """The fake site as a WSGI application (serve it with
    :class:`~authlib_cashsocial.testing.server.FakeProviderServer`).

    ``release`` picks the behaviour of one Sngine release: the token endpoint
    reads the query before 4.0.4 and only the POST form from 4.0.4;
    ``profile_picture`` is the user's own picture from 3.13 (else the default
    avatar); ``user_gender`` is lower-case before 3.0 and a display name
    (``"N/A"`` when unset) from 3.0.

    Example::

        fake = FakeSngine(release="4.0.3")      # reads GET query strings
        fake.add_app(FakeApp("1", "secret", "http://127.0.0.1:5000/auth"))
        fake.inject("api/authorize", ErrorBody("invalid app_secret"))
    """

    release: str = "4.2"
    token_lifetime: float = 60
    clock: FakeClock = field(default_factory=FakeClock)
    disabled_app_message: str = "Это приложение отключено"
    apps: dict[str, FakeApp] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.release not in RELEASES:
            raise ValueError(f"release must be one of {RELEASES}, not {self.release!r}")
        self._lock = threading.RLock()
        self._sessions: dict[str, str] = {}
        self._grants: dict[tuple[str, str], _Grant] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._routes = Map(
            [
                Rule("/", endpoint="home"),
                Rule("/favicon.ico", endpoint="favicon"),
                Rule("/signin", endpoint="signin", methods=["GET", "POST"]),
                Rule("/signout", endpoint="signout"),
                Rule("/api/oauth", endpoint="oauth", methods=["GET", "POST"]),
                Rule("/api/authorize", endpoint="authorize", methods=["GET", "POST"]),
                Rule(
                    "/api/get_user_info", endpoint="user_info", methods=["GET", "POST"]
                ),
                Rule(
                    "/api/<path:name>", endpoint="unknown_api", methods=["GET", "POST"]
                ),
                Rule("/content/<path:name>", endpoint="image"),
                Rule("/<user_name>", endpoint="profile"),
            ]
        )

    # ------------------------------------------------------------ set-up

    @property
    def reads_post(self) -> bool:
        """True from 4.0.4: ``api/authorize`` reads only POST form fields."""
        return _version(self.release) >= (4, 0, 4)

    def add_app(self, app: FakeApp) -> FakeApp:
        self.apps[app.app_id] = app
        return app

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.user_name] = user
        return user

    def _find_app(self, app_id: str) -> FakeApp | None:
        # Sngine casts app_id to an integer ("123abc" is app 123, "abc" is 0,
        # no app); the fake also knows apps registered under a non-numeric id.
        if app_id in self.apps:
            return self.apps[app_id]
        digits = re.match(r"\s*[+-]?\d*", app_id)
        number = digits.group().strip() if digits else ""
        return self.apps.get(str(int(number))) if number.lstrip("+-") else None

    def approve(self, user: FakeUser, app: FakeApp) -> None:
        """Mark ``app`` as already approved by ``user`` (no consent page)."""
        with self._lock:
            self._grants.setdefault((user.user_name, app.app_id), _Grant())

    def sign_in_cookie(self, user: FakeUser) -> tuple[str, str]:
        """A session cookie (name, value) signing ``user`` in, for tests."""
        sid = secrets.token_hex(16)
        with self._lock:
            self._sessions[sid] = user.user_name
        return SESSION_COOKIE, sid

    def inject(self, path: str, fault: Fault, *, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` (e.g.
        ``"api/authorize"``) with ``fault`` instead of the real answer."""
        with self._lock:
            self._faults.setdefault(path.strip("/"), []).extend([fault] * times)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path is ``path`` (e.g. ``"api/authorize"``)."""
        wanted = "/" + path.strip("/")
        with self._lock:
            return [r for r in self.requests if r.path == wanted]

    def issued_auth_key(self, user: FakeUser, app: FakeApp) -> str | None:
        """The auth_key the site currently holds for this user and app."""
        grant = self._grants.get((user.user_name, app.app_id))
        return grant.auth_key if grant else None

    # ------------------------------------------------------------ WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        request = Request(environ)
        self._record(request)
        fault = self._next_fault(request.path)
        if isinstance(fault, Slow):
            fault.wait()
            fault = fault.then
        if fault is not None:
            return fault.respond(start_response)
        adapter = self._routes.bind_to_environ(environ)
        endpoint, args = adapter.match()
        response: Response = getattr(self, f"_{endpoint}")(request, **args)
        return response(environ, start_response)

    def _record(self, request: Request) -> None:
        form = request.form if request.method == "POST" else {}
        entry = RecordedRequest(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            form={k: form.getlist(k) for k in form},  # type: ignore[attr-defined]
            remote_port=str(request.environ.get("REMOTE_PORT", "")),
        )
        with self._lock:
            self.requests.append(entry)

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path.strip("/"))
            return queue.pop(0) if queue else None

    # ------------------------------------------------------------ the API

    def _authorize(self, request: Request) -> Response:
        # Up to 4.0.3 the code reads $_GET; from 4.0.4 only $_POST.
        if not self.reads_post:
            params = request.args
        elif request.method == "POST":
            params = request.form
        else:
            params = MultiDict()
        # Each parameter missing or empty first, then the app, its secret
        # and the key, each with its own message.
        for name, message in (
            ("app_id", MESSAGE_INVALID_APP_ID),
            ("app_secret", MESSAGE_INVALID_APP_SECRET),
            ("auth_key", MESSAGE_INVALID_AUTH_KEY),
        ):
            if not params.get(name):
                return _error(message)
        app = self._find_app(params["app_id"])
        if app is None:
            return _error(MESSAGE_UNKNOWN_APP)
        if not app.enabled:
            return _error(self.disabled_app_message)
        if params.get("app_secret") != app.app_secret:
            return _error(MESSAGE_INVALID_APP_SECRET)
        auth_key = params["auth_key"]
        now = self.clock()
        with self._lock:
            grant = next(
                (
                    g
                    for (_, app_id), g in self._grants.items()
                    if app_id == app.app_id and auth_key and g.auth_key == auth_key
                ),
                None,
            )
            if grant is None:
                return _error(MESSAGE_INVALID_AUTH_KEY)
            grant.auth_key = None
            if (
                not grant.access_token
                or now - grant.token_issued_at > self.token_lifetime
            ):
                grant.access_token = secrets.token_hex(16)
                grant.token_issued_at = now
            return _json({"access_token": grant.access_token})

    def _user_info(self, request: Request) -> Response:
        token = request.args.get("access_token") or ""
        with self._lock:
            found = next(
                (
                    (user_name, g)
                    for (user_name, _), g in self._grants.items()
                    if token and g.access_token == token
                ),
                None,
            )
        if found is None:
            return _error(MESSAGE_INVALID_ACCESS_TOKEN)
        user_name, grant = found
        if self.clock() - grant.token_issued_at > self.token_lifetime:
            return _error(MESSAGE_EXPIRED_ACCESS_TOKEN)
        user = self.users.get(user_name)
        if user is None:  # the user row is gone: Sngine then prints []
            return _json([])
        return _json({"user_info": self.user_info_row(user, request.host_url)})

    def _unknown_api(self, request: Request, name: str) -> Response:
        return _error(MESSAGE_INVALID_PARAMETERS)

    def user_info_row(self, user: FakeUser, host_url: str) -> dict[str, str | None]:
        """The ``user_info`` object this release sends for ``user``."""
        base = host_url.rstrip("/")
        uploads = f"{base}/content/uploads/"
        version = _version(self.release)
        default_avatar = f"{base}/{DEFAULT_AVATAR}"
        if version >= (3, 13) and user.picture:
            profile_picture = uploads + user.picture
        else:
            profile_picture = default_avatar
        gender: str | None = user.gender
        if version >= (3, 0):
            gender = _GENDER_TITLES.get(user.gender or "", user.gender) or "N/A"
        return {
            "user_id": str(user.user_id),
            "user_name": user.user_name,
            "user_email": user.email,
            "user_firstname": user.firstname,
            "user_lastname": user.lastname,
            "user_gender": gender,
            "user_birthdate": user.birthdate,
            "user_picture": user.picture,
            "user_cover": user.cover,
            "user_registered": user.registered,
            "user_verified": "1" if user.verified else "0",
            "user_relationship": user.relationship,
            "user_biography": user.biography,
            "user_website": user.website,
            "profile_picture": profile_picture,
            "profile_cover": uploads,  # broken in every release, as on real sites
        }

    # ------------------------------------------------------------ the pages

    def _signed_in_user(self, request: Request) -> FakeUser | None:
        sid = request.cookies.get(SESSION_COOKIE, "")
        with self._lock:
            user_name = self._sessions.get(sid)
        return self.users.get(user_name) if user_name else None

    def _oauth(self, request: Request) -> Response:
        app = self.apps.get(request.args.get("app_id", ""))
        if app is None or not app.enabled:
            return _page(
                "Error",
                "<p class=error>This app does not exist or was "
                "disabled by the site.</p>",
            )
        user = self._signed_in_user(request)
        if user is None:
            return _redirect("/signin?" + urlencode({"next": request.full_path}))
        key = (user.user_name, app.app_id)
        if request.method == "POST":
            with self._lock:
                self._grants.setdefault(key, _Grant())
        if key not in self._grants:
            return _consent_page(app, user, request.full_path)
        auth_key = secrets.token_hex(16)
        with self._lock:
            # A new visit replaces the previous key: the old one stops working.
            self._grants[key].auth_key = auth_key
        # Sngine joins strings: a redirect URL with a query gets a second "?".
        return _redirect(f"{app.redirect_url}?auth_key={auth_key}")

    def _signin(self, request: Request) -> Response:
        next_url = request.values.get("next", "/")
        if not next_url.startswith("/") or next_url.startswith("//"):
            next_url = "/"
        error = ""
        if request.method == "POST":
            user = self.users.get(request.form.get("username", ""))
            if user is not None and secrets.compare_digest(
                user.password, request.form.get("password", "")
            ):
                cookie, sid = self.sign_in_cookie(user)
                response = _redirect(next_url)
                response.set_cookie(cookie, sid, httponly=True, samesite="Lax")
                return response
            error = "<p class=error>Wrong username or password.</p>"
        return _signin_page(next_url, error, list(self.users.values()))

    def _signout(self, request: Request) -> Response:
        with self._lock:
            self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = _redirect("/")
        response.delete_cookie(SESSION_COOKIE)
        return response

    def _home(self, request: Request) -> Response:
        user = self._signed_in_user(request)
        who = (
            (
                f"Signed in as <b>{html.escape(user.user_name)}</b> · "
                "<a href=/signout>Sign out</a>"
            )
            if user
            else "<a href=/signin>Sign in</a>"
        )
        cancelled = self.apps.get(request.args.get("cancelled", ""))
        return _page(
            SITE_TITLE,
            (_cancelled_notice(cancelled) if cancelled else "")
            + f"<p>{who}</p><p>A fake Sngine site for tests and demos.</p>",
        )

    def _favicon(self, request: Request) -> Response:
        return Response(favicon("site"), mimetype="image/x-icon")

    def _profile(self, request: Request, user_name: str) -> Response:
        user = self.users.get(user_name)
        if user is None:
            return _page("Not found", "<p>No such member.</p>", status=404)
        name = html.escape(" ".join(p for p in (user.firstname, user.lastname) if p))
        return _page(name, f"<h2>{name}</h2><p>@{html.escape(user.user_name)}</p>")

    def _image(self, request: Request, name: str) -> Response:
        letter = html.escape(
            (urlsplit(name).path.rsplit("/", 1)[-1][:1] or "?").upper()
        )
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
            '<rect width="96" height="96" rx="48" fill="#3b5998"/>'
            '<text x="48" y="62" font-size="44" text-anchor="middle" fill="#fff" '
            f'font-family="sans-serif">{letter}</text></svg>'
        )
        return Response(svg, mimetype="image/svg+xml")


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0;color:#1c1e21}"
    "header{background:#3b5998;color:#fff;padding:14px 24px;font-size:20px;"
    "font-weight:600}main{max-width:420px;margin:40px auto;background:#fff;"
    "border-radius:8px;padding:24px;box-shadow:0 2px 8px rgba(0,0,0,.1)}"
    "input{display:block;width:100%;box-sizing:border-box;margin:8px 0;padding:10px;"
    "border:1px solid #ccd0d5;border-radius:6px;font-size:15px}"
    "button{background:#3b5998;color:#fff;border:0;border-radius:6px;padding:10px 18px;"
    "font-size:15px;cursor:pointer}.error{color:#b00020}.muted{color:#65676b;"
    "font-size:13px}a.cancel{margin-left:14px;color:#65676b}"
    ".notice{border-left:4px solid #3b5998;background:#f5f7fb;padding:4px 14px;"
    "margin-bottom:16px}"
)


def _page(title: str, body: str, *, status: int = 200) -> Response:
    return html_page(title, body, header=SITE_TITLE, style=_STYLE, status=status)


def _signin_page(next_url: str, error: str, users: list[FakeUser]) -> Response:
    hints = "".join(
        f"<li><code>{html.escape(u.user_name)}</code> / <code>{html.escape(u.password)}"
        "</code></li>"
        for u in users
    )
    return _page(
        "Sign in",
        f"<h2>Sign in</h2>{error}<form method=post action=/signin>"
        f'<input type=hidden name=next value="{html.escape(next_url)}">'
        "<input name=username placeholder=Username autocomplete=username>"
        "<input name=password type=password placeholder=Password>"
        "<button type=submit id=signin>Sign in</button></form>"
        f"<p class=muted>Demo members:</p><ul class=muted>{hints}</ul>",
    )


def _cancelled_notice(app: FakeApp) -> str:
    """What the fake adds to the home page after "Cancel" on the consent page.

    A real Sngine site's "Cancel" is a plain link to its home page, and the
    app hears nothing: no callback, no ``error=``. The fake says so, and links
    back to the app (the origin of its App Redirect URL).
    """
    parts = urlsplit(app.redirect_url)
    app_home = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    name = html.escape(app.name)
    return (
        "<div class=notice id=cancelled>"
        f"<p>You cancelled the login to <b>{name}</b>.</p>"
        "<p>A Sngine site sends the app <b>nothing</b> when you cancel: no "
        "callback, no error. The app only sees that you never came back; "
        "the login it started stays pending until it expires.</p>"
        f'<p><a id=back href="{html.escape(app_home)}">Back to {name}</a></p>'
        "</div>"
    )


def _consent_page(app: FakeApp, user: FakeUser, action: str) -> Response:
    cancel = "/?" + urlencode({"cancelled": app.app_id})
    return _page(
        f"Log in with {SITE_TITLE}",
        f"<h2>{html.escape(app.name)}</h2><p>Signed in as <b>"
        f"{html.escape(user.user_name)}</b>.</p><p>{html.escape(app.name)} would like "
        "to access your name, e-mail, profile picture and public profile.</p>"
        f'<form method=post action="{html.escape(action)}">'
        "<button type=submit id=approve>Continue</button>"
        f'<a class=cancel id=cancel href="{html.escape(cancel)}">Cancel</a></form>',
    )
