"""A complete Django project that logs users in with Cash Social Network.

Against the embedded fake site (no account needed), from a clone of the
repository::

    make example-django

Against a real Sngine site: register
``http://127.0.0.1:8001/cashsocial/auth/`` as your app's App Redirect URL
there, then give the project its settings in the environment (the secret
typed at a prompt that does not show it) and start it::

    export CASHSOCIAL_CLIENT_ID=YOUR_APP_ID
    read -rs CASHSOCIAL_CLIENT_SECRET && export CASHSOCIAL_CLIENT_SECRET
    export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    make example-django EXAMPLE_ARGS="--base-url https://cs.moneypoolscash.com"

which runs Django's own server (``manage.py runserver``); ``manage.py`` works
as in any Django project. The credentials reach Django as
``AUTHLIB_OAUTH_CLIENTS["cashsocial"]`` in ``demo/settings.py``, exactly as
Authlib reads them for any provider. Against a real site the project needs
only ``authlib-cashsocial[django]``; ``--fake`` also needs the ``testing``
extra (the fake site, served with waitress).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
from pathlib import Path

from authlib_cashsocial import DEFAULT_BASE_URL, ConfigurationError, redact_access_logs

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="log in with the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=8001, help="default: 8001")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("CASHSOCIAL_BASE_URL", DEFAULT_BASE_URL),
        help="the real site (default: $CASHSOCIAL_BASE_URL or Cash Social Network)",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    os.environ["CASHSOCIAL_BASE_URL"] = args.base_url

    with contextlib.ExitStack() as stack:
        if args.fake:
            from authlib_cashsocial.testing import demo_site

            site = stack.enter_context(
                demo_site(redirect_url=f"http://127.0.0.1:{args.port}/cashsocial/auth/")
            )
            os.environ.update(
                CASHSOCIAL_BASE_URL=site.base_url,
                CASHSOCIAL_CLIENT_ID=site.app.app_id,
                CASHSOCIAL_CLIENT_SECRET=site.app.app_secret,
                SECRET_KEY=secrets.token_hex(32),  # a new key for each run
            )
            print(f"fake site: {site.base_url} (alice / wonderland)", flush=True)
        else:
            from demo.environment import exit_unless_configured

            exit_unless_configured("run.py")

        import django
        from django.urls import get_resolver

        django.setup()
        try:  # the URLs register the app: a wrong setting stops us here
            get_resolver().url_patterns  # noqa: B018
        except ConfigurationError as exc:
            sys.exit(f"run.py: {exc.description}")
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        if args.fake:
            from django.core.wsgi import get_wsgi_application
            from waitress import serve

            serve(get_wsgi_application(), host="127.0.0.1", port=args.port)
        else:
            from django.core.management import call_command

            redact_access_logs()  # runserver's request lines show the auth_key
            call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, even while starting
        main()
