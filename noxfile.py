"""The support matrix: ``make matrix`` runs every row, ``make matrix-corners``
the two that CI runs on every push (``oldest`` and ``newest-3.13``).

Each row is a virtual environment (built by uv, which resolves and installs
in seconds) with one combination of Python, Authlib, httpx or httpx2, the web
frameworks and requests, and the test suite run against it with warnings as
errors. ``oldest`` installs the lowest release that pyproject.toml admits of
every direct dependency (uv's ``lowest-direct`` resolution), so a lower bound
there is one that has been installed and tested. ``nox -s results`` writes
the docs' support table from the rows' last results.

The interpreters are found on ``PATH`` or, failing that, among pyenv's
versions (the CI image keeps 3.10, 3.12 and 3.13 there); nothing is
downloaded.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = []  # `nox` alone lists the rows; make matrix names them

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / ".nox" / "results"
LOGS = ROOT / ".nox" / "logs"
TABLE_PATH = "docs/compatibility-results.inc"
TABLE = ROOT / TABLE_PATH

#: What a row leaves to ``make test``: the repository's own tooling (the
#: sdist and wheel, the docs' commands from a fresh clone) and the browser
#: tests, whose code paths the framework tests already take.
NOT_IN_ROWS = (
    "tests/test_packaging.py",
    "tests/test_docs_commands.py",
    "tests/test_browser.py",
    "tests/test_browser_django_stacks.py",
)
#: Authlib 1.8 and later warn, once, when httpx2 is missing and they fall
#: back to httpx. It is Authlib's advice to its user, raised at Authlib's
#: import; the row that has only httpx proves everything else is silent.
AUTHLIB_HTTPX_FALLBACK = (
    "ignore:The httpx module is deprecated; please use httpx2 instead"
    ":DeprecationWarning"
)
#: The packages whose versions the support table reports for each row.
REPORTED = (
    "authlib", "requests", "urllib3", "httpx", "httpx2", "flask", "werkzeug",
    "starlette", "fastapi", "django", "django-allauth", "social-auth-core",
)  # fmt: skip


def interpreter(version: str) -> str:
    """``python3.X`` on PATH, else pyenv's newest 3.X, else the bare name
    (nox then reports the interpreter missing). pyenv's shims are passed
    over: they answer to every name, and fail for a version not selected."""
    name = f"python{version}"
    search = os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep)
        if os.path.basename(d.rstrip(os.sep)) != "shims"
    )  # fmt: skip
    if found_on_path := shutil.which(name, path=search):
        return found_on_path
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(
        glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", name)),
        key=lambda path: [int(p) for p in path.split(os.sep)[-3].split(".")],
    )
    return found[-1] if found else name


@dataclass(frozen=True)
class Row:
    name: str
    python: str
    extras: str
    #: What else to install: a pin, or a library the extras do not bring.
    also: tuple[str, ...] = ()
    lowest: bool = False
    #: ``-W`` filters added to the suite's own (warnings are errors).
    warnings: tuple[str, ...] = ()
    about: str = ""


EVERY_EXTRA = "flask,starlette,fastapi,django,httpx,testing,allauth,social"
OLDEST_EXTRAS = "flask,starlette,fastapi,django,httpx,testing"
STARLETTE_WITH_HTTPX = ("starlette>=0.40", "itsdangerous>=2.1.2", "uvicorn>=0.30")

ROWS = (
    Row(
        "oldest",
        "3.10",
        OLDEST_EXTRAS,
        # Authlib 1.3 to 1.7 use httpx: its floor is this row's, not a bound
        # of ours (the package never requires httpx itself).
        also=("httpx==0.25.2",),
        lowest=True,
        about="the lowest release pyproject.toml admits of every dependency",
    ),
    *(
        Row(f"newest-{v}", v, EVERY_EXTRA, about="the newest of everything")
        for v in ("3.10", "3.11", "3.12", "3.13")
    ),
    *(
        Row(
            f"{stack}-oldest",
            "3.11",
            f"{OLDEST_EXTRAS},{stack}",
            also=("httpx==0.25.2",),
            lowest=True,
            about=f"as oldest, with the {stack} extra (Python 3.11, as it needs)",
        )
        for stack in ("allauth", "social")
    ),
    Row(
        "authlib-1.6-httpx",
        "3.11",
        "flask,starlette,django,testing",
        also=("authlib~=1.6.0", "httpx"),
        about="Authlib 1.6 (httpx) with current frameworks",
    ),
    Row(
        "authlib-1.7-httpx",
        "3.12",
        "flask,starlette,django,testing",
        also=("authlib~=1.7.0", "httpx"),
        about="Authlib 1.7, the last that knows httpx only",
    ),
    Row(
        "authlib-1.8-httpx2",
        "3.12",
        "flask,starlette,django,httpx,testing",
        also=("authlib~=1.8.0",),
        about="Authlib 1.8, the first on httpx2",
    ),
    # The extras bring httpx2: this row builds its Starlette stack by hand.
    Row(
        "httpx-only",
        "3.13",
        "flask,django,testing",
        also=(*STARLETTE_WITH_HTTPX, "httpx"),
        warnings=(AUTHLIB_HTTPX_FALLBACK,),
        about="the newest Authlib with httpx and no httpx2",
    ),
    Row(
        "urllib3-1.26",
        "3.11",
        "flask,starlette,django,httpx,testing",
        also=("urllib3<2",),
        about="requests on urllib3 1.26, everything else newest",
    ),
)


def _run_row(session: nox.Session, row: Row) -> None:
    install = ["-e", f".[{row.extras}]", "--group", "test", *row.also]
    if row.lowest:
        install.insert(0, "--resolution=lowest-direct")
    session.install(*install)
    versions = json.loads(
        session.run(
            "python", "-c",
            "import json, importlib.metadata as m, sys\n"
            "def v(n):\n"
            "    try: return m.version(n)\n"
            "    except m.PackageNotFoundError: return None\n"
            f"print(json.dumps({{n: v(n) for n in {REPORTED!r}}}))",
            silent=True,
        ).strip().splitlines()[-1]
    )  # fmt: skip
    session.log(" ".join(f"{k}={v}" for k, v in versions.items() if v))
    versions["python"] = session.run(
        "python", "-c", "import platform; print(platform.python_version())", silent=True
    ).strip()
    args = ["-p", "no:randomly", "-q", *(f"--ignore={p}" for p in NOT_IN_ROWS)]
    for warning in row.warnings:
        args += ["-W", warning]
    outcome = "failed"
    try:
        session.run("pytest", *args, *session.posargs)
        outcome = "passed"
    finally:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{row.name}.json").write_text(
            json.dumps(
                {
                    "row": row.name,
                    "about": row.about,
                    "python": versions["python"],
                    "versions": versions,
                    "outcome": outcome,
                    "commit": _commit(),
                    "date": datetime.date.today().isoformat(),
                },
                indent=1,
            ),
            encoding="utf-8",
        )  # fmt: skip


def _commit() -> str:
    """The commit the rows test (``+`` if tracked files differ from it; the
    table that ``make matrix`` itself writes does not count)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()  # fmt: skip

    return git("rev-parse", "--short", "HEAD") + (
        "+"
        if git(
            "status", "--short", "--untracked-files=no", "--", ".", f":!{TABLE_PATH}"
        )
        else ""
    )


def _define(row: Row) -> None:
    @nox.session(name=row.name, python=interpreter(row.python))
    def run(session: nox.Session) -> None:
        _run_row(session, row)

    run.__doc__ = f"Python {row.python}: {row.about}"


for _row in ROWS:
    _define(_row)


@nox.session(python=False)
def results(session: nox.Session) -> None:
    """Write docs/compatibility-results.inc from the rows' last results."""
    _write_table(session)


def _write_table(session: nox.Session) -> None:
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - row",
        "     - Python",
        "     - versions installed",
        "     - result",
    ]
    results = []
    for row in ROWS:
        path = RESULTS / f"{row.name}.json"
        if not path.exists():
            session.error(f"row {row.name} has no result: run make matrix")
        result = json.loads(path.read_text(encoding="utf-8"))
        results.append(result)
        installed = ", ".join(
            f"{name} {version}"
            for name, version in result["versions"].items()
            if version and name != "python"
        )
        lines += [
            f"   * - ``{row.name}``",
            f"     - {result['python']}",
            f"     - {installed}",
            f"     - {result['outcome']} ({result['date']})",
        ]
    commits = sorted({result.get("commit") or "?" for result in results})
    lines += ["", f"Rows run on commit {', '.join(commits)}."]
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    session.log(f"wrote {TABLE.relative_to(ROOT)}")


@nox.session(python=False)
def matrix(session: nox.Session) -> None:
    """Every row, N at a time (``nox -s matrix -- N``, 2 by default; each
    row in a nox of its own, its output
    in .nox/logs/ROW.log), then the support table; fails if a row failed."""
    jobs = int(session.posargs[0]) if session.posargs else 2
    LOGS.mkdir(parents=True, exist_ok=True)

    def run_row(row: Row) -> tuple[str, int]:
        log = LOGS / f"{row.name}.log"
        with log.open("w", encoding="utf-8") as out:
            code = subprocess.call(
                [sys.executable, "-m", "nox", "-s", row.name],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        session.log(f"{row.name}: {'passed' if code == 0 else 'FAILED'} ({log})")
        return row.name, code

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outcomes = dict(pool.map(run_row, ROWS))
    _write_table(session)
    failed = [name for name, code in outcomes.items() if code]
    if failed:
        session.error(f"rows failed: {', '.join(failed)}")
