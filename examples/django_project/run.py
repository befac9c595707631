"""A complete Django project that logs users in with Cash Social Network.

Run it against the embedded fake site (no account needed)::

    python examples/django_project/run.py --fake   # then open the printed URL

or against a real Sngine site, with the App Redirect URL registered there as
``http://127.0.0.1:8001/cashsocial/auth/``::

    CASHSOCIAL_CLIENT_ID=... CASHSOCIAL_CLIENT_SECRET=... \\
        python examples/django_project/run.py --base-url https://cs.moneypoolscash.com

The credentials reach Django as ``AUTHLIB_OAUTH_CLIENTS["cashsocial"]`` in
``demo/settings.py``, exactly as Authlib reads them for any provider.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from authlib_cashsocial import DEFAULT_BASE_URL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fake", action="store_true", help="use the embedded fake site"
    )
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
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
            )
            print(f"fake site: {site.base_url} (alice / wonderland)", flush=True)

        from django.core.wsgi import get_wsgi_application
        from waitress import serve

        application = get_wsgi_application()
        print(f"app: http://127.0.0.1:{args.port}/", flush=True)
        serve(application, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
