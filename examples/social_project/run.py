"""A complete Django project that logs users in with Cash Social Network
through python-social-auth (``pip install "authlib-cashsocial[social,testing]"``).

Run it against the embedded fake site (no account needed)::

    python examples/social_project/run.py --fake   # then open the printed URL

or against a real Sngine site, with the App Redirect URL registered there as
``http://127.0.0.1:8003/complete/cashsocial/``::

    CASHSOCIAL_CLIENT_ID=... CASHSOCIAL_CLIENT_SECRET=... SECRET_KEY=... \\
        python examples/social_project/run.py --base-url https://cs.moneypoolscash.com

The credentials reach social-core as ``SOCIAL_AUTH_CASHSOCIAL_*`` in
``social_site/settings.py``. The database is a SQLite file in a temporary
folder, migrated at start.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
from pathlib import Path

from authlib_cashsocial import DEFAULT_BASE_URL

SETTINGS = ("CASHSOCIAL_CLIENT_ID", "CASHSOCIAL_CLIENT_SECRET", "SECRET_KEY")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="use the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "social_site.settings")
    os.environ["CASHSOCIAL_BASE_URL"] = args.base_url

    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        os.environ.setdefault("EXAMPLE_DATABASE", str(Path(folder) / "db.sqlite3"))
        if args.fake:
            from authlib_cashsocial.testing import demo_site

            callback = f"http://127.0.0.1:{args.port}/complete/cashsocial/"
            site = stack.enter_context(demo_site(redirect_url=callback))
            os.environ.update(
                CASHSOCIAL_BASE_URL=site.base_url,
                CASHSOCIAL_CLIENT_ID=site.app.app_id,
                CASHSOCIAL_CLIENT_SECRET=site.app.app_secret,
            )
            os.environ["SECRET_KEY"] = secrets.token_hex(32)  # new for each run
            print(f"fake site: {site.base_url} (alice / wonderland)", flush=True)
        else:
            missing = [name for name in SETTINGS if not os.environ.get(name)]
            if missing:
                sys.exit(
                    f"run.py: set {', '.join(missing)} in the environment "
                    "(SECRET_KEY: a long random value, never a known one)"
                )

        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)

        from django.core.wsgi import get_wsgi_application
        from waitress import serve

        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        serve(get_wsgi_application(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, even while starting
        main()
