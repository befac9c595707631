"""social-core's own backend test harness (``social_core.tests``), for this
project's suite.

social-core's wheels leave ``social_core/tests/`` out and its source archive
keeps it (its ``scripts/check_distribution.py`` checks both). So the source
archive of the social-auth-core installed here is downloaded once per
environment, with pip, into ``<sys.prefix>/social-core-harness/<version>/``,
and its ``social_core/tests/`` package is loaded as ``social_core.tests``:
the harness of the very release the suite runs against, so a release that
changes its expectations shows up here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

__all__ = ["load_harness"]

PACKAGE = "social_core.tests"


def load_harness() -> ModuleType:
    """``social_core.tests`` of the installed social-auth-core (downloaded
    the first time)."""
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None:
        return loaded
    version = importlib.metadata.version("social-auth-core")
    root = Path(sys.prefix) / "social-core-harness" / version
    package = root / "social_core" / "tests"
    if not (package / "__init__.py").is_file():
        _download(version, root)
    spec = importlib.util.spec_from_file_location(
        PACKAGE, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


def _download(version: str, root: Path) -> None:
    """Put the source archive's ``social_core/tests/`` under ``root`` (in one
    rename, so that two test runs at once never see half of it)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as work:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet",
                "--disable-pip-version-check", "--no-deps",
                "--no-binary", ":all:", "--dest", work,
                f"social-auth-core=={version}",
            ],
            check=True,
            timeout=600,
        )  # fmt: skip
        (archive,) = Path(work).glob("*.tar.gz")
        staging = Path(work) / "harness"
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                # social_auth_core-X.Y.Z/social_core/tests/... -> social_core/tests/...
                inner = member.name.split("/", 1)[-1]
                if inner.startswith("social_core/tests/"):
                    member.name = inner
                    members.append(member)
            tar.extractall(staging, members=members, filter="data")
        # social_core/__init__.py is the installed one's: only tests/ is kept.
        try:
            os.rename(staging, root)
        except OSError:
            if not (root / "social_core" / "tests" / "__init__.py").is_file():
                raise
            shutil.rmtree(staging, ignore_errors=True)  # another run was first
