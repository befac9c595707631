"""``python -m authlib_cashsocial``: the demo and the fake provider.

* ``demo``: starts the fake provider and runs one complete scripted login with
  :class:`~authlib_cashsocial.CashSocialSession` (sign-in, approval, callback,
  exchange, user info), then prints the normalized profile.
* ``fake-provider``: serves the fake Sngine site until Ctrl-C, with the demo
  app and members, for trying your own app against it.
"""

from __future__ import annotations

import argparse
import json
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


def _demo(args: argparse.Namespace) -> int:
    with FakeProviderServer(FakeSngine(release=args.release), port=args.port) as server:
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
    demo = commands.add_parser("demo", help="one scripted login against the fake site")
    demo.add_argument("--user", default="alice", help="demo member (alice, bob, olga)")
    demo.add_argument("--release", default="4.2", choices=RELEASES)
    demo.add_argument("--port", type=int, default=0, help="fake site port (0: free)")
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
