"""``python -m authlib_cashsocial``: the demo and the fake provider.

* ``demo``: the fake Sngine site and a small Flask app on loopback, served
  until Ctrl-C: open the printed URL and log in. One line per request shows
  what the app and the site see (secrets redacted).
* ``demo --base-url URL --client-id ID``: the same app against a real Sngine
  site, the way to check your own credentials. The app secret comes from
  ``CASHSOCIAL_CLIENT_SECRET`` or a prompt, never from the command line (where
  ``ps`` and the shell history would show it).
* ``demo --script``: one complete scripted login with
  :class:`~authlib_cashsocial.CashSocialSession` against the fake site,
  printing the normalized profile, then exits.
* ``fake-provider``: serves the fake Sngine site alone until Ctrl-C, with the
  demo app and members, for trying your own app against it.

Mistakes (a port in use, a missing or insecure setting) end with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import getpass
import ipaddress
import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from . import __version__
from ._extras import (
    FAKE_SITE,
    MissingExtraError,
    _direct_url,
    install_line,
    require_extras,
)
from ._options import Endpoints, _shown
from ._sngine import DEFAULT_BASE_URL
from .errors import ConfigurationError

__all__ = ["main"]

PROG = "python -m authlib_cashsocial"
# Kept here rather than imported from .testing so that --help and --version
# need no werkzeug or cheroot; tests check the two lists agree.
RELEASES = ("2.7", "3.0", "3.13", "4.0.3", "4.0.4", "4.2")
SECRET_VARIABLE = "CASHSOCIAL_CLIENT_SECRET"
# The extras each command needs (its --help names them): the demo app is a
# Flask app served by waitress, the fake site a werkzeug app.
DEMO_EXTRAS = ("flask", "testing")
SCRIPT_EXTRAS = ("testing",)
FAKE_PROVIDER_EXTRAS = ("testing",)
#: The demo app's port with a real site: the App Redirect URL registered there
#: names it, so it must not change from one run to the next.
REAL_SITE_PORT = 5000
# Where each registration option comes from on this command line.
_OPTION_SOURCES = {
    "base_url": "--base-url (or CASHSOCIAL_BASE_URL)",
    "client_id": "--client-id (or CASHSOCIAL_CLIENT_ID)",
    "client_secret": f"{SECRET_VARIABLE}, or the prompt",
}


class CommandError(Exception):
    """A mistake on the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument mistake is one line, as every other mistake is (argparse
    prints the whole usage above it); ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _shown_argument(word: str) -> str:
    """A word of the command line as an error may repeat it: a URL, or an
    option's ``=URL``, without its user, password, query or fragment."""
    option, equals, value = (
        word.partition("=") if word.startswith("-") else ("", "", word)
    )
    return option + equals + (_shown(value) if value else "")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        # socket.bind() wraps a large port (70000 listened on 4464) and
        # raises OverflowError for others: neither is what was asked for
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: give 0 to 65535 (0: a free one)"
        )
    return port


def _host(text: str) -> str:
    """An IP address, or a host name that resolves (``localhost``)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        try:
            socket.getaddrinfo(text, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither an IP address nor a host name that "
                "resolves: give one of this machine's, such as 127.0.0.1"
            ) from None
    return text


def _redirect_url(text: str) -> str:
    """An absolute http(s) URL without credentials (never repeated)."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{_shown(text)!r} is not an absolute http(s) URL: give your app's "
            "callback, such as http://127.0.0.1:5000/auth"
        )
    if parts.username is not None or parts.password is not None:
        raise argparse.ArgumentTypeError(
            f"must not carry a user or password ({_shown(text)!r}, shown without them)"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{_shown(text)!r} has no valid port: give 0 to 65535"
        ) from None
    return text


def _listen(host: str, port: int, what: str, flag: str) -> socket.socket:
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CommandError(_bind_error(exc, host, port, what, flag)) from None
    return sock


def _bind_error(exc: OSError, host: str, port: int, what: str, flag: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use ({what}): stop what uses it, or "
            f"pick another with {flag} ({flag} 0 picks a free one)"
        )
    return f"cannot listen on {host}:{port} ({what}): {exc.strerror or exc}"


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("authlib_cashsocial.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _say(line: str) -> None:
    print(line, flush=True)


def _real_site_options(args: argparse.Namespace) -> dict[str, Any]:
    """``register`` options for a real site, or a :class:`CommandError`."""
    base_url = args.base_url or DEFAULT_BASE_URL
    try:
        Endpoints.from_base_url(base_url, allow_insecure=args.allow_insecure)
    except ConfigurationError as exc:
        # Neither message repeats a user, password or query of the URL.
        parts = urlsplit(base_url)
        if parts.scheme == "http" and not (parts.username or parts.password):
            raise CommandError(
                f"--base-url {_shown(base_url)} uses http://: the app secret and "
                "the access tokens would cross the network in clear text. Use "
                "https://, or add --allow-insecure if you really mean it"
            ) from None
        raise CommandError(f"--base-url: {exc.description}") from None
    if not args.client_id:
        raise CommandError(
            "a real site needs your app's id: give --client-id (or set "
            "CASHSOCIAL_CLIENT_ID)"
        )
    secret = os.environ.get(SECRET_VARIABLE)
    if not secret:
        if not sys.stdin.isatty():
            raise CommandError(
                f"a real site needs your app's secret: set {SECRET_VARIABLE} "
                "(it is read from there, or asked for when run in a terminal)"
            )
        try:
            secret = getpass.getpass(
                f"App secret of app {args.client_id} at {base_url} (not shown): "
            )
        except EOFError:
            secret = ""
        if not secret:
            raise CommandError("no app secret given")
    return {
        "base_url": base_url,
        "client_id": args.client_id,
        "client_secret": secret,
        "allow_insecure": args.allow_insecure,
    }


def _web_demo(args: argparse.Namespace) -> int:
    require_extras("the demo app", *DEMO_EXTRAS)
    from waitress.server import create_server

    from .testing import demo_site
    from .testing._pages import AccessLog

    real = bool(args.base_url or args.client_id)
    options = _real_site_options(args) if real else {}
    port = args.port if args.port is not None else (REAL_SITE_PORT if real else 0)
    _configure_logging()
    sock = _listen(args.host, port, "the demo app", "--port")
    host = f"[{args.host}]" if ":" in args.host else args.host
    app_url = f"http://{host}:{sock.getsockname()[1]}"
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        if real:
            _say(f"real site:  {options['base_url']}")
            _say(f"Register this App Redirect URL with your app there: {app_url}/auth")
        else:
            _say(f"starting the fake Sngine {args.release} site ...")
            try:
                site = stack.enter_context(
                    demo_site(
                        redirect_url=f"{app_url}/auth",
                        release=args.release,
                        host=args.host,
                        port=args.provider_port,
                        access_log="fake site",
                    )
                )
            except OSError as exc:
                raise CommandError(
                    _bind_error(
                        exc,
                        args.host,
                        args.provider_port,
                        "the fake site",
                        "--provider-port",
                    )
                ) from None
            options = {
                "base_url": site.base_url,
                "client_id": site.app.app_id,
                "client_secret": site.app.app_secret,
            }
            members = ", ".join(
                f"{u.user_name}/{u.password}" for u in site.users.values()
            )
            _say(f"fake site:  {site.base_url}  (members {members})")
        from .testing.demo_app import create_demo_app

        try:
            app = create_demo_app(**options)
        except ConfigurationError as exc:
            source = _OPTION_SOURCES.get(exc.option, exc.option)
            raise CommandError(f"{source}: {exc.description}") from None
        server = create_server(AccessLog("demo app", app), sockets=[sock], threads=8)
        _say(f"demo app:   {app_url}/   <- open this; Ctrl-C to stop")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    return 0


def _scripted_demo(args: argparse.Namespace) -> int:
    require_extras(FAKE_SITE, *SCRIPT_EXTRAS)
    from .requests_client import CashSocialSession
    from .testing import FakeProviderServer, FakeSngine, ScriptedBrowser, seed_demo

    try:
        server = FakeProviderServer(
            FakeSngine(release=args.release), host=args.host, port=args.provider_port
        )
    except OSError as exc:
        raise CommandError(
            _bind_error(
                exc, args.host, args.provider_port, "the fake site", "--provider-port"
            )
        ) from None
    with server:
        app, users = seed_demo(server.fake, redirect_url="http://127.0.0.1:8000/auth")
        user = next((u for u in users if u.user_name == args.user), None)
        if user is None:
            raise CommandError(
                f"no demo member {args.user!r}: choose "
                + ", ".join(u.user_name for u in users)
            )
        _say(f"fake Sngine {args.release} site: {server.base_url}")
        with CashSocialSession(
            app.app_id, app.app_secret, base_url=server.base_url
        ) as session:
            url, _ = session.create_authorization_url()
            _say(f"1. login link:    {url}")
            browser = ScriptedBrowser()
            callback = browser.log_in(
                url, username=user.user_name, password=user.password
            )
            browser.close()
            _say(f"2. {user.user_name} signed in and approved; the site redirected to:")
            _say(f"                  {callback}")
            if callback is None:  # pragma: no cover - the scripted user approves
                return 1
            token = session.fetch_token(authorization_response=callback)
            _say(
                f"3. token:         type {token['token_type']}, "
                f"expires in {token['expires_in']} s (the site itself: 60 s)"
            )
            profile = session.userinfo()
            _say("4. normalized profile:")
            _say(json.dumps(profile, indent=2, ensure_ascii=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    return _scripted_demo(args) if args.script else _web_demo(args)


def _fake_provider(args: argparse.Namespace) -> int:
    require_extras(FAKE_SITE, *FAKE_PROVIDER_EXTRAS)
    from .testing import FakeProviderServer, FakeSngine, seed_demo

    _configure_logging()
    try:
        server = FakeProviderServer(
            FakeSngine(release=args.release),
            host=args.host,
            port=args.port,
            access_log="fake site",
        )
    except OSError as exc:
        raise CommandError(
            _bind_error(exc, args.host, args.port, "the fake site", "--port")
        ) from None
    app, users = seed_demo(server.fake, redirect_url=args.redirect_url)
    server.start()
    _say(f"fake Sngine {args.release} site: {server.base_url}")
    _say(
        f"app_id={app.app_id} app_secret={app.app_secret} "
        f"App Redirect URL={app.redirect_url}"
    )
    _say("members: " + ", ".join(f"{u.user_name}/{u.password}" for u in users))
    _say("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


class _SecretOnCommandLine(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        parser.error(
            "--client-secret would show the secret to every user of this machine "
            f"(ps) and keep it in your shell history: set {SECRET_VARIABLE}, or "
            "leave it out to be asked for it"
        )


class _HelpFormatter(argparse.HelpFormatter):
    """Adds "(default: ...)" to an option's help unless it says it already
    (flags are off unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or any(
            action.default is nothing for nothing in (None, False, argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"


def _needs(extras: tuple[str, ...]) -> str:
    """The sentence of a command's --help that names the extras it needs."""
    names = " and ".join(extras)
    plural = "s" if len(extras) > 1 else ""
    return f"Needs the {names} extra{plural}: {install_line(extras, _direct_url())}."


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    formatter = _HelpFormatter
    parser = _Parser(
        prog=PROG,
        description=(
            "Try authlib-cashsocial: a demo web app that logs in with a fake "
            "Sngine site on loopback (or with a real site, to check your "
            "credentials), and the fake site alone for your own app."
        ),
        epilog=(
            "Run '%(prog)s COMMAND --help' for a command's options and the "
            "extras it needs."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    # Not required=True: argparse would then answer an unknown flag given
    # alone (--bogus) with "the following arguments are required: COMMAND".
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="the demo web app on the fake (or a real) site",
        description=(
            "Serve the demo app and the fake Sngine site on loopback until "
            "Ctrl-C, and print the URL to open. With --base-url or --client-id "
            "the app logs in with that real site instead; the app secret is "
            f"read from {SECRET_VARIABLE} or asked for. {_needs(DEMO_EXTRAS)} "
            f"With --script, only the testing extra."
        ),
        formatter_class=formatter,
    )
    demo.add_argument(
        "--host",
        default="127.0.0.1",
        type=_host,
        help="address the app and the fake site listen on",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=None,
        help=(
            "the demo app's port (default: a free one with the fake site, "
            f"{REAL_SITE_PORT} with a real site, whose App Redirect URL names it)"
        ),
    )
    demo.add_argument(
        "--provider-port",
        type=_port,
        default=0,
        help="the fake site's port (0: a free one)",
    )
    demo.add_argument(
        "--release",
        default="4.2",
        choices=RELEASES,
        help="the fake site's Sngine release",
    )
    demo.add_argument(
        "--base-url",
        default=env("CASHSOCIAL_BASE_URL"),
        help=(
            "a real Sngine site instead of the fake one, e.g. "
            f"{DEFAULT_BASE_URL} (default: $CASHSOCIAL_BASE_URL)"
        ),
    )
    demo.add_argument(
        "--client-id",
        default=env("CASHSOCIAL_CLIENT_ID"),
        help=(
            "your app's app_id on the real site; the secret comes from "
            f"${SECRET_VARIABLE} or a prompt (default: $CASHSOCIAL_CLIENT_ID)"
        ),
    )
    demo.add_argument(
        "--client-secret",
        nargs="?",
        action=_SecretOnCommandLine,
        help=argparse.SUPPRESS,
    )
    demo.add_argument(
        "--allow-insecure",
        action="store_true",
        help="accept an http:// --base-url that is not loopback (clear text)",
    )
    demo.add_argument(
        "--script",
        action="store_true",
        help="run one scripted login with CashSocialSession and exit",
    )
    demo.add_argument(
        "--user",
        default="alice",
        help="--script: the member who logs in (alice, bob or olga)",
    )
    demo.set_defaults(run=_demo, command_parser=demo)

    fake = commands.add_parser(
        "fake-provider",
        help="serve the fake Sngine site alone",
        description=(
            "Serve the fake Sngine site, with the demo app (app_id demo-app) "
            "and its members, until Ctrl-C: point your own app at it. "
            + _needs(FAKE_PROVIDER_EXTRAS)
        ),
        formatter_class=formatter,
    )
    fake.add_argument(
        "--host", default="127.0.0.1", type=_host, help="address to listen on"
    )
    fake.add_argument("--port", type=_port, default=0, help="port (0: a free one)")
    fake.add_argument(
        "--release", default="4.2", choices=RELEASES, help="the Sngine release to fake"
    )
    fake.add_argument(
        "--redirect-url",
        default="http://127.0.0.1:5000/auth",
        type=_redirect_url,
        help="the App Redirect URL of the demo app (your app's callback)",
    )
    fake.set_defaults(run=_fake_provider, command_parser=fake)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args, unrecognized = parser.parse_known_args(argv)
    if unrecognized:
        # parse_args() reports a command's unknown words as the top level's
        # ("see ... --help", which lists no option of the command) and
        # verbatim, a URL's password included
        command_parser = getattr(args, "command_parser", parser)
        shown = " ".join(_shown_argument(word) for word in unrecognized)
        command_parser.error(f"unrecognized arguments: {shown}")
    if args.command is None:
        parser.error("give a command: demo or fake-provider")
    try:
        return int(args.run(args))
    except (CommandError, MissingExtraError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before serving (at the prompt, say)
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
