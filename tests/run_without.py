"""Run a script with some modules unimportable, as in an environment that
does not have them: ``python tests/run_without.py waitress,flask script.py
ARGS...``, or ``... waitress -m authlib_cashsocial ARGS...`` for a module as
``python -m`` runs it. Used to show what an example or a command needs, and
what it does not."""

from __future__ import annotations

import importlib.abc
import runpy
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType


class Unavailable(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if any(fullname == n or fullname.startswith(n + ".") for n in self.names):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


if __name__ == "__main__":
    blocked, script, *arguments = sys.argv[1:]
    sys.meta_path.insert(0, Unavailable(blocked.split(",")))
    if script == "-m":
        module, *arguments = arguments
        sys.argv = [module, *arguments]
        sys.path[0] = str(Path.cwd())  # as `python -m module` does
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [script, *arguments]
        sys.path[0] = str(Path(script).resolve().parent)  # as `python script.py`
        runpy.run_path(script, run_name="__main__")
