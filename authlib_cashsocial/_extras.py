"""The optional extras the command line and the fake site need, and the one
error that names the ``pip install`` line when one is missing.

A missing extra showed as a bare ``ModuleNotFoundError: No module named
'werkzeug'`` from somewhere inside the package. Every command and the pytest
fixture now check through :func:`require_extras`, so the user reads one line
that says what to install, written for the way this copy was installed (a
clone, a wheel, a git URL or the package index).
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from typing import Any

__all__ = ["EXTRAS", "FAKE_SITE", "MissingExtraError", "install_line", "require_extras"]

DISTRIBUTION = "authlib-cashsocial"

#: What needs the ``testing`` extra, as its error names it wherever it shows.
FAKE_SITE = "the fake Sngine site (authlib_cashsocial.testing)"

#: The modules that tell whether an extra is installed.
EXTRAS: dict[str, tuple[str, ...]] = {
    "flask": ("flask",),
    "testing": ("cheroot", "waitress", "werkzeug"),
}


class MissingExtraError(ImportError):
    """An optional extra is not installed; the message is one line that names
    what is missing and the ``pip install`` line that adds it.

    Example::

        >>> error = MissingExtraError("the demo", ("flask",), ["flask"],
        ...                           direct_url=None)
        >>> print(error)
        the demo needs the flask extra (flask is not installed): pip install "authlib-cashsocial[flask]"
    """  # noqa: E501

    def __init__(
        self,
        what: str,
        extras: tuple[str, ...],
        missing: list[str],
        *,
        direct_url: dict[str, Any] | None,
    ) -> None:
        names = _listed(missing)
        verb = "is" if len(missing) == 1 else "are"
        plural = "s" if len(extras) > 1 else ""
        super().__init__(
            f"{what} needs the {_listed(extras)} extra{plural} ({names} "
            f"{verb} not installed): {install_line(extras, direct_url)}",
            name=missing[0],
        )
        self.extras = extras


def _listed(names: list[str] | tuple[str, ...]) -> str:
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def install_line(extras: tuple[str, ...], direct_url: dict[str, Any] | None) -> str:
    """The ``pip install`` line that adds ``extras`` to this copy of the
    package: from where it was installed, as pip records it (PEP 610's
    ``direct_url.json``), else from the package index.

    Example::

        >>> install_line(("testing",), None)
        'pip install "authlib-cashsocial[testing]"'
        >>> install_line(("testing",), {"url": "file:///src/authlib-cashsocial",
        ...                             "dir_info": {"editable": True}})
        'pip install -e "/src/authlib-cashsocial[testing]"'
        >>> install_line(("flask", "testing"), {
        ...     "url": "https://example.org/authlib-cashsocial.git",
        ...     "vcs_info": {"vcs": "git", "commit_id": "abc"}})
        'pip install "authlib-cashsocial[flask,testing] @ git+https://example.org/authlib-cashsocial.git"'
    """
    wanted = ",".join(extras)
    url = (direct_url or {}).get("url")
    if not isinstance(url, str):
        return f'pip install "{DISTRIBUTION}[{wanted}]"'
    vcs = direct_url.get("vcs_info") if direct_url else None
    if isinstance(vcs, dict):
        revision = vcs.get("requested_revision")
        url = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
    elif url.startswith("file://") and (direct_url or {}).get("dir_info") is not None:
        path = url.removeprefix("file://")
        editable = (direct_url or {}).get("dir_info", {}).get("editable")
        return f'pip install {"-e " if editable else ""}"{path}[{wanted}]"'
    return f'pip install "{DISTRIBUTION}[{wanted}] @ {url}"'


def _direct_url() -> dict[str, Any] | None:
    # The first installed copy that pip recorded a direct URL for: a source
    # tree's own *.egg-info (first on sys.path when run from a clone) has none.
    for distribution in metadata.distributions(name=DISTRIBUTION):
        text = distribution.read_text("direct_url.json")
        if text:
            try:
                found = json.loads(text)
            except ValueError:  # pragma: no cover - a broken record
                return None
            return found if isinstance(found, dict) else None
    return None


def require_extras(what: str, *extras: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extras`` can
    be imported; ``what`` names what needs them ("the demo app").

    Example::

        >>> require_extras("the fake Sngine site", "testing")  # installed here
    """
    wanted = [module for extra in extras for module in EXTRAS[extra]]
    missing: list[str] = []
    for module in wanted:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # flask without werkzeug: werkzeug is missing, flask is not
            absent = (exc.name or "").partition(".")[0]
            if absent not in wanted:
                raise  # not one of ours: a broken install, shown as it is
            if absent not in missing:
                missing.append(absent)
    if missing:
        needed = tuple(e for e in extras if set(EXTRAS[e]) & set(missing))
        raise MissingExtraError(
            what, needed, missing, direct_url=_direct_url()
        ) from None
