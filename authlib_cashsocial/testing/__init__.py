"""A fake Sngine site for tests and demos: this project's, and yours.

Example::

    from authlib_cashsocial.testing import (
        FakeProviderServer, ScriptedBrowser, seed_demo)

    with FakeProviderServer() as server:
        app, users = seed_demo(server.fake, redirect_url="http://127.0.0.1/cb")
        session = CashSocialSession(
            app.app_id, app.app_secret, base_url=server.base_url)
        url, _ = session.create_authorization_url()
        callback = ScriptedBrowser().log_in(
            url, username="alice", password="wonderland")
        session.fetch_token(authorization_response=callback)

With pytest, the ``cashsocial_provider`` fixture (the plugin
``_authlib_cashsocial_pytestplugin``, loaded through the ``pytest11`` entry
point) gives a running server.
"""

from __future__ import annotations

from .._extras import FAKE_SITE, require_extras

try:
    from .browser import ScriptedBrowser
    from .fake import (
        RELEASES,
        FakeApp,
        FakeClock,
        FakeSngine,
        FakeUser,
        RecordedRequest,
    )
    from .faults import (
        Body,
        CloseBeforeAnswer,
        Drip,
        DropMidResponse,
        ErrorBody,
        Fault,
        GzipBomb,
        HTMLPage,
        HugeBody,
        JSONBody,
        Redirect,
        Slow,
        Status,
    )
    from .server import (
        FakeProviderServer,
        FakeSite,
        ThreadedWSGIServer,
        demo_site,
        seed_demo,
    )
except ModuleNotFoundError:
    # werkzeug or waitress missing: one line naming the pip install line
    require_extras(FAKE_SITE, "testing")
    raise

__all__ = [
    "RELEASES",
    "Body",
    "CloseBeforeAnswer",
    "Drip",
    "DropMidResponse",
    "ErrorBody",
    "FakeApp",
    "FakeClock",
    "FakeProviderServer",
    "FakeSite",
    "FakeSngine",
    "FakeUser",
    "Fault",
    "GzipBomb",
    "HTMLPage",
    "HugeBody",
    "JSONBody",
    "RecordedRequest",
    "Redirect",
    "ScriptedBrowser",
    "Slow",
    "Status",
    "ThreadedWSGIServer",
    "demo_site",
    "seed_demo",
]
