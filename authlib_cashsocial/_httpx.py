"""The httpx library that the installed Authlib is built on: httpx2 or httpx.

Authlib 1.8 and later import httpx2, and fall back to httpx (with a
deprecation warning of their own) when only httpx is installed; Authlib 1.3
to 1.7 know httpx only. The httpx clients and the Starlette app subclass
Authlib's clients, so they must build requests, responses and transports, and
catch errors, of that very library: a response of the other one would not be
read, its errors not caught. So this module asks Authlib's ``OAuth2Client``
which library it subclasses, rather than guessing from Authlib's version or
from what happens to be installed (an app may have both).

With it comes its HTTP core: httpcore2 under httpx2, httpcore under httpx.
Both are named as the httpx2 ones here, as in Authlib's own shim, so that the
modules using them read the same whichever library it is. Imports nothing of
ours and no web framework.

Example::

    >>> from authlib_cashsocial._httpx import httpx2
    >>> httpx2.__name__ in ("httpx2", "httpx")
    True
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from authlib.integrations.httpx_client import OAuth2Client

__all__ = ["LIBRARIES", "httpcore2", "httpx2", "library_of"]

#: The libraries Authlib's httpx integration may use, and the core of each.
LIBRARIES = {"httpx2": "httpcore2", "httpx": "httpcore"}


def library_of(cls: type) -> ModuleType:
    """The httpx library (the module) whose ``Client`` ``cls`` subclasses.

    Example::

        >>> library_of(OAuth2Client).Client in OAuth2Client.__mro__
        True
    """
    for klass in cls.__mro__:
        root = klass.__module__.partition(".")[0]
        if root in LIBRARIES:
            return importlib.import_module(root)
    raise ImportError(f"{cls.__qualname__} subclasses neither httpx2 nor httpx")


if TYPE_CHECKING:  # mypy checks against httpx2, which the newest Authlib uses
    import httpcore2
    import httpx2
else:
    httpx2 = library_of(OAuth2Client)
    httpcore2 = importlib.import_module(LIBRARIES[httpx2.__name__])
