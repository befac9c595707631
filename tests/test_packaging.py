"""The package as it will be published: metadata, the README a package index
shows, and the sdist and wheel themselves (built offline, checked as the
index checks them, and the tests run from the sdist)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import metadata
from pathlib import Path

import pytest

import authlib_cashsocial

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
DOCS = "https://authlib-cashsocial.readthedocs.io/en/latest/"
REPO = "https://github.com/authlib-cashsocial/authlib-cashsocial"
RAW = "https://raw.githubusercontent.com/authlib-cashsocial/authlib-cashsocial/main/"
# What the sdist carries besides the package: everything the tests, the docs
# build and the Makefile read.
SHIPPED_TREES = ("tests", "examples", "docs", "benchmarks")


def test_the_version_is_written_once():
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "authlib_cashsocial.__version__"
    assert metadata("authlib-cashsocial")["Version"] == authlib_cashsocial.__version__


def test_classifiers_are_the_index_s_own_and_cover_what_is_supported():
    from trove_classifiers import classifiers as known

    declared = PROJECT["classifiers"]
    assert set(declared) <= known, set(declared) - known
    assert declared == sorted(declared)
    assert any(c.startswith("Development Status ::") for c in declared)
    minimum = re.fullmatch(r">=3\.(\d+)", PROJECT["requires-python"])
    assert minimum is not None
    pythons = {
        int(c.rsplit(".", 1)[1])
        for c in declared
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert min(pythons) == int(minimum.group(1))
    assert pythons == set(range(min(pythons), max(pythons) + 1))
    # a framework classifier for each framework extra
    for extra, classifier in {
        "flask": "Framework :: Flask",
        "django": "Framework :: Django",
        "fastapi": "Framework :: FastAPI",
    }.items():
        assert extra in PROJECT["optional-dependencies"]
        assert classifier in declared
    assert "Framework :: Pytest" in declared  # the pytest11 entry point


def test_project_urls_name_source_changelog_and_issues():
    urls = PROJECT["urls"]
    assert {"Source", "Changelog", "Issues", "Documentation"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


def test_werkzeug_is_not_a_core_dependency():
    names = [re.split(r"[<>=\[ ]", dep)[0].lower() for dep in PROJECT["dependencies"]]
    assert names == ["authlib", "requests"]
    assert any(
        d.startswith("werkzeug") for d in PROJECT["optional-dependencies"]["testing"]
    )


def _support_table_rows() -> dict[str, dict[str, str]]:
    """The rows of the Compatibility page's table of the last ``make matrix``:
    Python, each package's installed version, the result."""
    text = (ROOT / "docs" / "compatibility-results.inc").read_text(encoding="utf-8")
    rows = {}
    for name, python, installed, result in re.findall(
        r"   \* - ``([a-z0-9.-]+)``\n     - (\S+)\n     - (.*)\n     - (.*)\n", text
    ):
        versions = dict(item.split(" ") for item in installed.split(", "))
        rows[name] = {"python": python, "result": result, **versions}
    return rows


def test_each_lower_bound_is_what_the_oldest_row_installed_and_passed():
    """pyproject's floors are proven ones: the matrix's ``oldest`` row, which
    installs the lowest release each bound admits, ran them and passed. A
    bound changed without running ``make matrix`` fails here."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    oldest = _support_table_rows()["oldest"]
    assert oldest["result"].startswith("passed")
    assert oldest["python"].startswith(PROJECT["requires-python"].lstrip(">="))
    extras = PROJECT["optional-dependencies"]
    checked = set()
    for requirement in (
        *PROJECT["dependencies"],
        *(r for extra in ("flask", "starlette", "fastapi", "django", "testing")
          for r in extras[extra]),
    ):  # fmt: skip
        parsed = Requirement(requirement)
        floors = [s.version for s in parsed.specifier if s.operator == ">="]
        if parsed.name in oldest and floors:
            assert Version(oldest[parsed.name]) == Version(floors[0]), requirement
            checked.add(parsed.name)
    assert {
        "authlib",
        "requests",
        "flask",
        "werkzeug",
        "starlette",
        "django",
    } <= checked


def test_the_support_table_has_a_passed_row_for_each_python_classifier():
    pythons = {
        c.rsplit(" ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    rows = _support_table_rows()
    assert all(row["result"].startswith("passed") for row in rows.values()), rows
    assert {row["python"].rsplit(".", 1)[0] for row in rows.values()} == pythons


def test_readme_links_work_from_the_repository():
    """The README is read in the repository (a clone, or the Git host's page)
    before the package is on an index: links to the project's own pages and
    files are relative and each names a file that exists; only other
    projects' pages are absolute. The picture is the repository's own."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    for target in targets:
        if target.startswith("https://"):
            assert not target.startswith((DOCS, REPO, RAW)), target
        else:
            assert (ROOT / target.partition("#")[0]).is_file(), target
    assert "docs/_static/demo-profile.png" in targets


def _shipped_sources() -> set[str]:
    files = {
        path.relative_to(ROOT).as_posix()
        for tree in SHIPPED_TREES
        for path in (ROOT / tree).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and "_build" not in path.parts
        and path.suffix != ".pyc"
    }
    return files | {
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "Makefile",
        "pyproject.toml",
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built without network access from a copy of
    this tree with no build output in it (setuptools would add the files an
    old ``*.egg-info`` lists), the wheel from the sdist as ``python -m build``
    does."""
    source = tmp_path_factory.mktemp("source") / "tree"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv*",
            ".nox",  # the matrix's venvs, and the pytest temporary directories in them
            "*.egg-info",
            "build",
            "dist",
            "_build",
            "__pycache__",
            ".*_cache",
            ".coverage",
            ".hypothesis",
        ),
    )
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)]
    subprocess.run(
        [*build, str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.mark.slow
def test_sdist_and_wheel_pass_twine_check_strict(dist: Path):
    files = sorted(str(p) for p in dist.iterdir())
    assert len(files) == 2, files
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


@pytest.mark.slow
def test_the_wheel_holds_the_package_its_plugin_and_the_license(dist: Path):
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    version = authlib_cashsocial.__version__
    assert top == {
        "authlib_cashsocial",
        "_authlib_cashsocial_pytestplugin.py",
        f"authlib_cashsocial-{version}.dist-info",
    }, top
    assert f"authlib_cashsocial-{version}.dist-info/licenses/LICENSE" in names
    assert "authlib_cashsocial/py.typed" in names


@pytest.mark.slow
def test_the_tests_run_from_the_sdist(dist: Path, tmp_path: Path):
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (tree,) = tmp_path.iterdir()
    shipped = {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
    missing = _shipped_sources() - shipped
    assert not missing, sorted(missing)

    def pytest_in(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *args],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=600,
        )

    here = pytest_in(ROOT, "--collect-only")
    there = pytest_in(tree, "--collect-only")
    assert there.returncode == 0, there.stdout[-3000:] + there.stderr[-3000:]
    counted = re.compile(r"^(\d+) tests? collected", re.MULTILINE)
    assert counted.search(there.stdout).group(1) == counted.search(here.stdout).group(1)
    # the sdist's own copy of the package is the one under test there
    ran = pytest_in(tree, "tests/test_flow.py", "tests/test_userinfo.py", "-x")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert " passed" in ran.stdout
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import authlib_cashsocial; print(authlib_cashsocial.__file__)",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(tree)
