"""``python -m authlib_cashsocial``: the demo and the fake provider.

* ``demo``: the fake Sngine site and a small Flask app on loopback, served
  until Ctrl-C: open the printed URL and log in. With ``--base-url``,
  ``--client-id`` and ``--client-secret`` (or ``CASHSOCIAL_BASE_URL``,
  ``CASHSOCIAL_CLIENT_ID``, ``CASHSOCIAL_CLIENT_SECRET``) the same app logs in
  with a real Sngine site instead: the way to check your own credentials.
* ``demo --script``: one complete scripted login with
  :class:`~authlib_cashsocial.CashSocialSession` against the fake site, printing
  the normalized profile, then exits.
* ``fake-provider``: serves the fake Sngine site until Ctrl-C, with the demo
  app and members, for trying your own app against it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import threading
from collections.abc import Sequence

from .requests_client import CashSocialSession
from .testing import (
    RELEASES,
    FakeProviderServer,
    FakeSngine,
    ScriptedBrowser,
    seed_demo,
)

__all__ = ["main"]


def _web_demo(args: argparse.Namespace) -> int:
    from waitress.server import create_server

    from .testing import demo_site
    from .testing.demo_app import create_demo_app

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    app_url = f"http://{args.host}:{sock.getsockname()[1]}"
    real = args.base_url or args.client_id or args.client_secret
    with contextlib.ExitStack() as stack:
        if real:
            options = {
                "base_url": args.base_url,
                "client_id": args.client_id,
                "client_secret": args.client_secret,
            }
            print(f"real site:   {args.base_url}")
            print(f"Register this App Redirect URL with your app there: {app_url}/auth")
        else:
            site = stack.enter_context(
                demo_site(
                    redirect_url=f"{app_url}/auth",
                    release=args.release,
                    port=args.provider_port,
                )
            )
            options = {
                "base_url": site.base_url,
                "client_id": site.app.app_id,
                "client_secret": site.app.app_secret,
            }
            print(
                f"fake site:   {site.base_url}  (Sngine {args.release}; members "
                + ", ".join(f"{u.user_name}/{u.password}" for u in site.users.values())
                + ")"
            )
        app = create_demo_app(**{k: v for k, v in options.items() if v})
        server = create_server(app, sockets=[sock], threads=8)
        print(f"demo app:    {app_url}/   <- open this; Ctrl-C to stop", flush=True)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    if not args.script:
        return _web_demo(args)
    with FakeProviderServer(
        FakeSngine(release=args.release), port=args.provider_port
    ) as server:
        app, users = seed_demo(server.fake, redirect_url="http://127.0.0.1:8000/auth")
        user = next((u for u in users if u.user_name == args.user), None)
        if user is None:
            print(f"no demo member {args.user!r}", file=sys.stderr)
            return 2
        print(f"fake Sngine {args.release} site: {server.base_url}")
        with CashSocialSession(
            app.app_id, app.app_secret, base_url=server.base_url
        ) as session:
            url, _ = session.create_authorization_url()
            print(f"1. login link:    {url}")
            browser = ScriptedBrowser()
            callback = browser.log_in(
                url, username=user.user_name, password=user.password
            )
            browser.close()
            print(
                f"2. {user.user_name} signed in and approved; the site redirected to:"
            )
            print(f"                  {callback}")
            if callback is None:  # pragma: no cover - the scripted user approves
                return 1
            token = session.fetch_token(authorization_response=callback)
            print(
                f"3. token:         type {token['token_type']}, "
                f"expires in {token['expires_in']} s (the site itself: 60 s)"
            )
            profile = session.userinfo()
            print("4. normalized profile:")
            print(json.dumps(profile, indent=2, ensure_ascii=False))
    return 0


def _fake_provider(args: argparse.Namespace) -> int:
    server = FakeProviderServer(
        FakeSngine(release=args.release), host=args.host, port=args.port
    )
    app, users = seed_demo(server.fake, redirect_url=args.redirect_url)
    server.start()
    print(f"fake Sngine {args.release} site: {server.base_url}")
    print(
        f"app_id={app.app_id} app_secret={app.app_secret} "
        f"App Redirect URL={app.redirect_url}"
    )
    print("members: " + ", ".join(f"{u.user_name}/{u.password}" for u in users))
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authlib_cashsocial")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="the demo web app on the fake (or a real) site"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=0, help="demo app port (0: free)")
    demo.add_argument("--provider-port", type=int, default=0, help="fake site port")
    demo.add_argument("--release", default="4.2", choices=RELEASES)
    env = os.environ.get
    demo.add_argument(
        "--base-url",
        default=env("CASHSOCIAL_BASE_URL"),
        help="a real Sngine site instead of the fake one",
    )
    demo.add_argument("--client-id", default=env("CASHSOCIAL_CLIENT_ID"))
    demo.add_argument("--client-secret", default=env("CASHSOCIAL_CLIENT_SECRET"))
    demo.add_argument(
        "--script",
        action="store_true",
        help="run one scripted login with CashSocialSession and exit",
    )
    demo.add_argument("--user", default="alice", help="--script: alice, bob or olga")
    demo.set_defaults(run=_demo)
    fake = commands.add_parser("fake-provider", help="serve the fake Sngine site")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=0, help="0 picks a free port")
    fake.add_argument("--release", default="4.2", choices=RELEASES)
    fake.add_argument(
        "--redirect-url",
        default="http://127.0.0.1:5000/auth",
        help="the demo app's App Redirect URL",
    )
    fake.set_defaults(run=_fake_provider)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
