"""A fake Sngine site: the developer API and the pages a user clicks through.

It answers as real Sngine servers do, release by release, as recorded from
Sngine 2.7 and 3.13 run on loopback (``tests/real_sngine/``, which a test
replays against the fake) and read from the code of the other releases (see
the docs' *Provider facts* page): errors as HTTP 200 JSON with their ``Bad
Request,`` prefix, single-use ``auth_key`` replaced by each new visit,
tokens that expire after 60 seconds of its own clock, the same token for a
new exchange inside that window, redirect URLs joined as strings (two
``?``), the token endpoint reading the query string (releases before 4.0.4)
or only the POST form (4.0.4 and later, known from the code only), a
``PHPSESSID`` cookie (and from 3.13 ``user_session``) on every answer, the
site's 404 page, and the browser side: a sign-in form and a consent button
that post by XHR, the consent answered as JSON ``{"redirect_url": ...}``,
later visits redirected at once.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, NotFound
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
from ._pages import favicon
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
#: The cookie that says who is signed in (Sngine's ``xs``, with ``c_user``).
SESSION_COOKIE = "xs"
#: The fake site's name, in its header and page titles.
SITE_TITLE = "Cash Social Network"
_THEME_IMAGES = "content/themes/default/images/"
#: The default avatar of 3.0 to 4.x for a user without a picture (3.13 and
#: later: ``blank_profile_male.png`` / ``blank_profile_female.png`` by gender).
DEFAULT_AVATAR = _THEME_IMAGES + "blank_profile.png"
_GENDER_TITLES = {"male": "Male", "female": "Female", "other": "Other"}
#: PHP's session headers, on every answer of the PHP code.
_PHP_SESSION_HEADERS = (
    ("Expires", "Thu, 19 Nov 1981 08:52:00 GMT"),
    ("Cache-Control", "no-store, no-cache, must-revalidate"),
    ("Pragma", "no-cache"),
)
_PHP_SESSION_COOKIE = "PHPSESSID"
_USER_SESSION_COOKIE = "user_session"  # 3.13: md5 of the IP and User-Agent
_USER_ID_COOKIE = "c_user"
_THIRTY_DAYS = 30 * 24 * 3600
_HTML = "text/html; charset=UTF-8"
_NOT_FOUND_TEXT = (
    "Sorry but the page you are looking for does not exist, have been removed. "
    "name changed or is temporarily unavailable"
)


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
    # Sngine's return_json(): always HTTP 200, application/json, written as
    # PHP's json_encode() writes it (no spaces, "/" escaped as "\/").
    text = json.dumps(value, separators=(",", ":")).replace("/", "\\/")
    return Response(text, status=200, mimetype="application/json")


def _error(message: str) -> Response:
    return _json({"error": True, "message": message})


@dataclass
class FakeSngine:
    """The fake site as a WSGI application (serve it with
    :class:`~authlib_cashsocial.testing.server.FakeProviderServer`).

    ``release`` picks the behaviour of one Sngine release, as recorded from
    real 2.7 and 3.13 servers and read from the code of the others:

    - the token endpoint reads the query before 4.0.4 and only the POST form
      from 4.0.4 (known from the code only: no 4.x server was run);
    - ``user_gender`` is lower-case in 2.x and a display name (``"N/A"``
      when unset) from 3.0; ``profile_picture`` is the user's own picture
      from 3.13, else a default avatar (2.7: ``blank_profile_female.jpg``,
      ``..._male.jpg`` or ``..._other.jpg`` by gender, even for a user with
      a picture);
    - from 3.13 every answer also sets ``user_session`` (30 days), and the
      first visit after signing in is redirected to the page that asked for
      the sign-in;
    - **2.x mixes users up** (``mixes_users``, on by default for 2.7): its
      ``authorize_app`` writes each new token into *every* row of the
      approvals table (an ``UPDATE`` without ``WHERE``) and
      ``get_user_info`` answers the first row holding it, so once a second
      user logs in within the token's minute, the API answers the first
      user's profile for them. 3.13 has the ``WHERE``. Set
      ``mixes_users=False`` to test a 2.7 site without it.

    Example::

        fake = FakeSngine(release="4.0.3")      # reads GET query strings
        fake.add_app(FakeApp("1", "secret", "http://127.0.0.1:5000/auth"))
        fake.inject("api/authorize", ErrorBody("Bad Request, invalid app_secret"))
    """

    release: str = "4.2"
    token_lifetime: float = 60
    clock: FakeClock = field(default_factory=FakeClock)
    disabled_app_message: str = "Это приложение отключено"
    apps: dict[str, FakeApp] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    #: The site's name, in its page titles ("Log in With ...").
    site_title: str = SITE_TITLE
    #: 2.x's user mix-up (see above); None: as the release does.
    mixes_users: bool | None = None

    def __post_init__(self) -> None:
        if self.release not in RELEASES:
            raise ValueError(f"release must be one of {RELEASES}, not {self.release!r}")
        self._lock = threading.RLock()
        self._sessions: dict[str, str] = {}  # xs cookie -> user_name
        self._php_sessions: dict[str, dict[str, str]] = {}  # PHPSESSID -> data
        self._grants: dict[tuple[str, str], _Grant] = {}
        self._faults: dict[str, list[Fault]] = {}
        api = ["GET", "POST"]
        self._routes = Map(
            [
                Rule("/", endpoint="home"),
                Rule("/favicon.ico", endpoint="favicon"),
                Rule("/signin", endpoint="signin"),
                Rule("/signout", endpoint="signout"),
                Rule(
                    "/includes/ajax/core/signin.php",
                    endpoint="signin_xhr",
                    methods=["POST"],
                ),
                Rule(
                    "/includes/ajax/developers/app.php",
                    endpoint="app_xhr",
                    methods=["POST"],
                ),
                Rule("/api/oauth", endpoint="oauth", methods=api),
                Rule("/api/authorize", endpoint="authorize", methods=api),
                Rule("/api/get_user_info", endpoint="user_info", methods=api),
                Rule("/api/<name>", endpoint="unknown_api", methods=api),
                Rule("/content/<path:name>", endpoint="image"),
                Rule("/<user_name>", endpoint="profile"),
            ],
            strict_slashes=False,
        )

    # ------------------------------------------------------------ set-up

    @property
    def reads_post(self) -> bool:
        """True from 4.0.4: ``api/authorize`` reads only POST form fields."""
        return _version(self.release) >= (4, 0, 4)

    @property
    def _mixes_users(self) -> bool:
        if self.mixes_users is not None:
            return self.mixes_users
        return _version(self.release) < (3, 0)

    @property
    def _from_3_13(self) -> bool:
        return _version(self.release) >= (3, 13)

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
        new_cookies = self._start_php_session(request)
        adapter = self._routes.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            endpoint, args = "not_found", {}
        except HTTPException as exc:  # a method the route does not take
            return exc(environ, start_response)
        response: Response = getattr(self, f"_{endpoint}")(request, **args)
        # PHP's reason phrases ("302 Found"), not werkzeug's upper-case ones.
        code = response.status_code
        response.status = f"{code} {HTTPStatus(code).phrase}"
        if endpoint not in ("favicon", "image"):  # files the front server sends
            for name, value, options in new_cookies:
                response.set_cookie(name, value, **options)
            for header, value in _PHP_SESSION_HEADERS:
                response.headers.setdefault(header, value)
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

    def _start_php_session(
        self, request: Request
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """PHP's session_start() and Sngine's session cookie: the cookies a
        request did not bring, to set on its answer. Every answer of the PHP
        code sets them, the API's included (no client needs them)."""
        cookies: list[tuple[str, str, dict[str, Any]]] = []
        sid = request.cookies.get(_PHP_SESSION_COOKIE, "")
        if not sid:
            alphabet = string.ascii_lowercase + string.digits
            sid = "".join(secrets.choice(alphabet) for _ in range(26))
            cookies.append((_PHP_SESSION_COOKIE, sid, {"httponly": True, "path": "/"}))
        with self._lock:
            self._php_sessions.setdefault(sid, {})
        request.environ["sngine.session_id"] = sid
        if self._from_3_13 and _USER_SESSION_COOKIE not in request.cookies:
            agent = request.headers.get("User-Agent", "")
            value = hashlib.md5(
                f"{request.remote_addr}{agent}".encode(), usedforsecurity=False
            ).hexdigest()
            cookies.append(
                (
                    _USER_SESSION_COOKIE,
                    value,
                    {
                        "httponly": True,
                        "samesite": "Lax",
                        "max_age": _THIRTY_DAYS,
                        "path": "/",
                    },
                )
            )
        return cookies

    def _php_session(self, request: Request) -> dict[str, str]:
        with self._lock:
            return self._php_sessions[request.environ["sngine.session_id"]]

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
                    if app_id == app.app_id and g.auth_key == auth_key
                ),
                None,
            )
            if grant is None:
                return _error(MESSAGE_INVALID_AUTH_KEY)
            grant.auth_key = None
            if (
                grant.access_token
                and now - grant.token_issued_at <= self.token_lifetime
            ):
                return _json({"access_token": grant.access_token})
            token = secrets.token_hex(16)
            # 2.x: "UPDATE developers_apps_users SET access_token = ...,
            # access_token_date = ..." without a WHERE: every row gets it.
            for row in self._grants.values() if self._mixes_users else (grant,):
                row.access_token = token
                row.token_issued_at = now
            return _json({"access_token": token})

    def _user_info(self, request: Request) -> Response:
        token = request.args.get("access_token") or ""
        with self._lock:
            # The first row holding the token (with 2.x's mix-up: of anyone).
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
        if version < (3, 0):
            # 2.x: get_picture() of a column it never selected, by gender;
            # no image for any other gender.
            avatar = (
                f"{base}/{_THEME_IMAGES}blank_profile_{user.gender}.jpg"
                if user.gender in _GENDER_TITLES
                else ""
            )
            profile_picture = avatar
        elif version >= (3, 13) and user.picture:
            profile_picture = uploads + user.picture
        elif version >= (3, 13) and user.gender in ("male", "female"):
            profile_picture = f"{base}/{_THEME_IMAGES}blank_profile_{user.gender}.png"
        else:
            profile_picture = f"{base}/{DEFAULT_AVATAR}"
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

    def _base(self, request: Request) -> str:
        return request.host_url.rstrip("/")

    def _oauth(self, request: Request) -> Response:
        user = self._signed_in_user(request)
        app_id = request.args.get("app_id", "")
        if user is None:
            # Sngine's user_login(): the sign-in page at this URL; from 3.13
            # it remembers the URL to come back to after signing in.
            if self._from_3_13:
                uri = request.full_path.rstrip("?")  # PHP's REQUEST_URI
                self._php_session(request)["callback_redirect"] = uri
            return self._signin_page(request)
        session = self._php_session(request)
        if self._from_3_13 and "callback_redirect" in session:
            # The first visit after signing in goes back to where it started.
            return _redirect(self._base(request) + session.pop("callback_redirect"))
        if not app_id.strip():
            return self._not_found(request)
        app = self._find_app(app_id)
        if app is None or not app.enabled:
            return _standalone_error_page("Error", MESSAGE_UNKNOWN_APP)
        key = (user.user_name, app.app_id)
        if key not in self._grants:
            return self._consent_page(request, app, user)
        # Approved before: a fresh key at once (the older one stops working).
        return _redirect(self._new_auth_key(user, app))

    def _new_auth_key(self, user: FakeUser, app: FakeApp) -> str:
        """A fresh auth_key in the user's approval row (created if needed)
        and the redirect URL that carries it."""
        auth_key = secrets.token_hex(16)
        with self._lock:
            self._grants.setdefault((user.user_name, app.app_id), _Grant())
            self._grants[(user.user_name, app.app_id)].auth_key = auth_key
        # Sngine joins strings: a redirect URL with a query gets a second "?".
        return f"{app.redirect_url}?auth_key={auth_key}"

    def _app_xhr(self, request: Request) -> Response:
        """includes/ajax/developers/app.php: the consent page's "Continue"."""
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
            return _redirect(self._base(request))  # is_ajax(): not an XHR
        user = self._signed_in_user(request)
        if user is None:
            return _json({"callback": "modal('#modal-login')"})
        # Sngine also wants a numeric id (else a 400); the fake takes the
        # non-numeric ids it registers too (the demo's "demo-app").
        if request.form.get("do") != "oauth" or not request.form.get("id"):
            return Response("", status=400, content_type=_HTML)
        app = self._find_app(request.form["id"])
        if app is None or not app.enabled:
            message = MESSAGE_UNKNOWN_APP.replace("'", "\\'")  # a JavaScript string
            modal = f"modal('#modal-error', {{title: 'Error', message: '{message}'}})"
            return _json({"callback": modal})
        return _json({"redirect_url": self._new_auth_key(user, app)})

    def _signin_xhr(self, request: Request) -> Response:
        """includes/ajax/core/signin.php: the sign-in form's XHR."""
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
            return _redirect(self._base(request))  # is_ajax(): not an XHR
        login = request.form.get("username_email", "")
        user = self.users.get(login) or next(
            (u for u in self.users.values() if u.email == login), None
        )
        if user is None:
            return _error(
                "The username or email you entered does not belong to any account"
            )
        if not secrets.compare_digest(user.password, request.form.get("password", "")):
            if self._from_3_13:
                return _error(
                    "Please re-enter your password, The password you entered is "
                    "incorrect"
                )
            return _error(
                "<p><strong>Please re-enter your password</strong></p><p>The "
                "password you entered is incorrect. If you forgot your password? "
                f"<a href='{self._base(request)}/reset'>Request a new one</a></p>"
            )
        cookie, sid = self.sign_in_cookie(user)
        response = _json({"callback": "window.location.reload();"})
        same_site = "Lax" if self._from_3_13 else None  # 2.7 sends no SameSite
        for name, value in ((_USER_ID_COOKIE, str(user.user_id)), (cookie, sid)):
            # Path=/ written out: werkzeug before 3.0 leaves the default out, and a
            # browser then scopes the cookie to includes/ajax/core/.
            response.set_cookie(
                name, value, httponly=True, samesite=same_site, path="/"
            )
        return response

    def _signin(self, request: Request) -> Response:
        if self._signed_in_user(request) is not None:
            return _redirect(self._base(request))
        return self._signin_page(request)

    def _signout(self, request: Request) -> Response:
        with self._lock:
            self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = _redirect(self._base(request))
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(_USER_ID_COOKIE)
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
        return self._page(
            request,
            self.site_title,
            (_cancelled_notice(cancelled) if cancelled else "")
            + f"<p>{who}</p><p>A fake Sngine site for tests and demos.</p>",
        )

    def _favicon(self, request: Request) -> Response:
        return Response(favicon("site"), mimetype="image/x-icon")

    def _profile(self, request: Request, user_name: str) -> Response:
        user = self.users.get(user_name)
        if user is None:
            return self._not_found(request)
        name = html.escape(" ".join(p for p in (user.firstname, user.lastname) if p))
        return self._page(
            request, name, f"<h2>{name}</h2><p>@{html.escape(user.user_name)}</p>"
        )

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

    def _not_found(self, request: Request) -> Response:
        """The site's 404 page (``api/``, ``api/x/deeper``, any unknown path)."""
        base = html.escape(self._base(request))
        return self._page(
            request,
            "404 Not Found",
            '<div class="notfound"><h1>404</h1><h2>Oops! Page Not Be Found</h2>'
            f"<p>{_NOT_FOUND_TEXT}</p>"
            f'<a href="{base}">Back to homepage</a></div>',
            status=404,
        )

    # ------------------------------------------------------------ page parts

    def _page(
        self, request: Request, title: str, body: str, *, status: int = 200
    ) -> Response:
        """A page in the site's layout: its header (with the signed-in user,
        linked to their profile) and the script that posts its forms."""
        base = self._base(request)
        user = self._signed_in_user(request)
        who = (
            f'<a class="who" href="{html.escape(base)}/{html.escape(user.user_name)}">'
            f"{html.escape(user.user_name)}</a>"
            if user
            else ""
        )
        document = (
            "<!DOCTYPE html><html><head><meta charset=utf-8>"
            '<meta name="generator" content="Sngine">'
            f'<meta name="version" content="{html.escape(self.release)}">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
            f"<script>var site_path = {json.dumps(base)};{_SCRIPT}</script>"
            f"</head><body><header>{html.escape(self.site_title)}{who}</header>"
            f"<main>{body}</main></body></html>"
        )
        return Response(document, status=status, content_type=_HTML)

    def _signin_page(self, request: Request) -> Response:
        method = ' method="POST"' if self._from_3_13 else ""
        hints = "".join(
            f"<li><code>{html.escape(u.user_name)}</code> / "
            f"<code>{html.escape(u.password)}</code></li>"
            for u in self.users.values()
        )
        return self._page(
            request,
            "Sign in",
            "<h2>Sign in</h2>"
            f'<form class="js_ajax-forms" data-url="core/signin.php"{method}>'
            '<input name="username_email" placeholder="Email or Username" '
            'autocomplete="username">'
            '<input name="password" type="password" placeholder="Password">'
            '<label class="muted"><input name="remember" type="checkbox"> '
            "Remember me</label>"
            '<p class="error" id="error" hidden></p>'
            '<button type="submit" id="signin">Sign in</button></form>'
            f'<p class="muted">Demo members:</p><ul class="muted">{hints}</ul>',
        )

    def _consent_page(self, request: Request, app: FakeApp, user: FakeUser) -> Response:
        # 2.x greets by first name, 3.13 by full name.
        name = (
            " ".join(p for p in (user.firstname, user.lastname) if p)
            if self._from_3_13
            else user.firstname
        )
        cancel = f"{self._base(request)}/?" + urlencode({"cancelled": app.app_id})
        badges = "".join(
            f'<span class="badge bg-info">{what}</span> '
            for what in ("Name", "Email Address", "Profile Picture")
        )
        return self._page(
            request,
            f"Log in With {self.site_title}",
            f'<h3><span class="text-primary">{html.escape(app.name)}</span></h3>'
            f"<p>Signed in as <b>{html.escape(user.user_name)}</b>.</p>"
            f"<p>Will receive your: {badges}</p>"
            '<p class="error" id="error" hidden></p>'
            '<button type="button" class="btn js_developers-oauth-app" id="approve" '
            f'data-id="{html.escape(app.app_id)}">'
            f"Continue as {html.escape(name)}</button>"
            f'<a href="{html.escape(cancel)}" class="btn cancel" id="cancel">'
            "Cancel</a>",
        )


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location}, content_type=_HTML)


def _standalone_error_page(title: str, message: str) -> Response:
    """Sngine's _error() page: no site layout, HTTP 200."""
    document = (
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<main><div class="error-title">{html.escape(title)}</div>'
        f'<div class="error-message">{html.escape(message)}</div></main></body></html>'
    )
    return Response(document, status=200, content_type=_HTML)


_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0;color:#1c1e21}"
    "header{background:#3b5998;color:#fff;padding:14px 24px;font-size:20px;"
    "font-weight:600}header .who{float:right;color:#fff;font-size:15px}"
    "main{max-width:420px;margin:40px auto;background:#fff;"
    "border-radius:8px;padding:24px;box-shadow:0 2px 8px rgba(0,0,0,.1)}"
    "input{display:block;width:100%;box-sizing:border-box;margin:8px 0;padding:10px;"
    "border:1px solid #ccd0d5;border-radius:6px;font-size:15px}"
    "input[type=checkbox]{display:inline;width:auto}"
    "button{background:#3b5998;color:#fff;border:0;border-radius:6px;padding:10px 18px;"
    "font-size:15px;cursor:pointer}.error{color:#b00020}.muted{color:#65676b;"
    "font-size:13px}a.cancel{margin-left:14px;color:#65676b}"
    ".badge{background:#e7f0fd;border-radius:4px;padding:2px 6px;font-size:13px}"
    ".error-title{font-size:22px;font-weight:600}"
    ".notice{border-left:4px solid #3b5998;background:#f5f7fb;padding:4px 14px;"
    "margin-bottom:16px}"
)

# What the site's own JavaScript does with its forms and the consent button:
# an XHR POST to includes/ajax/ (with X-Requested-With, which the site
# requires), then what the JSON answer says: reload the page after signing
# in, go to redirect_url after approving, or show the error.
_SCRIPT = """
function sngine_post(url, body, where) {
  fetch(site_path + "/includes/ajax/" + url, {
    method: "POST", body: body, credentials: "same-origin",
    headers: {"X-Requested-With": "XMLHttpRequest"}
  }).then(function (r) { return r.json(); }).then(function (data) {
    if (data.redirect_url) { window.location = data.redirect_url; return; }
    if (data.callback === "window.location.reload();") {
      window.location.reload(); return;
    }
    var error = document.getElementById("error");
    error.textContent = (data.message || data.callback || "Error")
      .replace(/<[^>]*>/g, " ");
    error.hidden = false;
  });
}
document.addEventListener("submit", function (event) {
  var url = event.target.getAttribute("data-url");
  if (!url) { return; }
  event.preventDefault();
  sngine_post(url, new URLSearchParams(new FormData(event.target)));
});
document.addEventListener("click", function (event) {
  var button = event.target.closest(".js_developers-oauth-app");
  if (!button) { return; }
  event.preventDefault();
  sngine_post("developers/app.php",
              new URLSearchParams({do: "oauth", id: button.getAttribute("data-id")}));
});
"""


def _cancelled_notice(app: FakeApp) -> str:
    """What the fake adds to the home page after "Cancel" on the consent page.

    A real Sngine site's "Cancel" is a plain link to its home page, and the
    app hears nothing: no callback, no ``error=``. The fake's link adds
    ``?cancelled=APP_ID`` so that its home page can say so, and link back to
    the app (the origin of its App Redirect URL).
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
