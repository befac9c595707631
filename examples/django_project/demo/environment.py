"""What the project needs from the environment against a real site, and a
message that names what is missing instead of a traceback or a site that
answers every request with an error page."""

from __future__ import annotations

import os
import sys

REQUIRED = {
    "CASHSOCIAL_CLIENT_ID": "your app's app_id on the site",
    "CASHSOCIAL_CLIENT_SECRET": "your app's app_secret on the site",
    "SECRET_KEY": "a random key of 32 characters or more that signs the sessions",
}
HOW_TO_SET = """\
Set them in the environment, for example:
  export CASHSOCIAL_CLIENT_ID=YOUR_APP_ID
  read -rs CASHSOCIAL_CLIENT_SECRET && export CASHSOCIAL_CLIENT_SECRET
  export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
or try the project against the embedded fake site: make example-django"""


def exit_unless_configured(program: str) -> None:
    """Return if every setting is there; else say which are missing, exit 2."""
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    short_key = len(os.environ.get("SECRET_KEY") or "x" * 32) < 32
    if not missing and not short_key:
        return
    site = os.environ.get("CASHSOCIAL_BASE_URL", "the site")
    lines = [f"{program}: cannot start against {site}:"]
    lines += [f"  {name:<26} missing: {REQUIRED[name]}" for name in missing]
    if short_key:
        lines.append(f"  {'SECRET_KEY':<26} too short: {REQUIRED['SECRET_KEY']}")
    print("\n".join([*lines, HOW_TO_SET]), file=sys.stderr)
    sys.exit(2)
