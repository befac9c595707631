#!/usr/bin/env python
"""Django's command-line utility for the example project.

Against a real site, with the settings in the environment (see ``run.py``)::

    python manage.py runserver 8001

Commands that only describe themselves (``help``, ``version``) need no
settings; every other one stops with a message naming what is missing.
"""

import os
import sys

SELF_DESCRIBING = {"help", "--help", "-h", "version", "--version"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    if len(sys.argv) > 1 and sys.argv[1] not in SELF_DESCRIBING:
        from demo.environment import exit_unless_configured

        exit_unless_configured("manage.py")
    from django.core.management import execute_from_command_line

    import authlib_cashsocial

    # runserver's request lines show the callback's auth_key: redacted.
    authlib_cashsocial.redact_access_logs()

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
