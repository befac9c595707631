"""Every command the README and the docs print runs as printed from a fresh
clone: a make target (which installs what it needs), or an install of the
package with extras that exist, from the index, a clone, a wheel built from
it or the git URL. A bare ``python ...`` would need a virtual environment the
reader does not have yet; only the command line of an installed package
(``python -m authlib_cashsocial ...``) is printed, and its arguments must
parse."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from authlib_cashsocial import __version__ as VERSION
from authlib_cashsocial.__main__ import _parser

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]
COMMAND_WORDS = {
    "make", "python", "python3", "pip", "pip3", "pytest", "uvicorn", "gunicorn",
    "flask", "django-admin", "export", "source", "cd", "sh", "bash", "curl",
    "git",
}  # fmt: skip
SHELL_BLOCK = re.compile(r"^(sh|bash|console|shell|shell-session)$")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
TARGETS = set(re.findall(r"^([a-z][a-z0-9-]*):", MAKEFILE, re.MULTILINE))
MAKE_VARIABLES = set(re.findall(r"\$\(([A-Z_]+)\)", MAKEFILE))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
SOURCE = PYPROJECT["project"]["urls"]["Source"]
# What `git clone SOURCE` makes, and the wheel `pip wheel` builds from it.
CLONE = SOURCE.rstrip("/").rsplit("/", 1)[1]
WHEEL = f"dist/authlib_cashsocial-{VERSION}"
# Other packages the docs may tell a reader to install: those the project
# itself tests with (a recipe's Flask-Login, say).
TESTED_WITH = {
    re.split(r"[<>=;\[ ]", requirement)[0].lower()
    for group in PYPROJECT["dependency-groups"].values()
    for requirement in group
    if isinstance(requirement, str)
}


def _is_command(line: str) -> bool:
    """A command as prose quotes one: a program and at least one argument
    (a lone ``flask`` or ``.venv-try`` is a name, not a command)."""
    words = line.split()
    return len(words) > 1 and (
        words[0] in COMMAND_WORDS or words[0].startswith(("./", ".venv", "$"))
    )


def _logical_lines(lines: list[str]) -> list[str]:
    joined: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.strip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [
        re.sub(r"\s+#\s.*$", "", line).strip()
        for line in joined
        if line and not line.startswith("#")  # a comment line of the block
    ]


def _markdown_commands(text: str) -> list[str]:
    commands = []
    for language, body in re.findall(r"```([a-z-]*)\n(.*?)```", text, re.DOTALL):
        if SHELL_BLOCK.match(language):
            commands += _logical_lines(body.splitlines())
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    commands += [c for c in re.findall(r"`([^`\n]+)`", prose) if _is_command(c)]
    return commands


def _indented_block(lines: list[str], start: int) -> list[str]:
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        if line.strip().startswith(":") and not block:
            continue  # a directive option
        block.append(line)
    return block


def _rst_commands(text: str) -> list[str]:
    lines = text.splitlines()
    commands = []
    for number, line in enumerate(lines):
        directive = re.match(r"\s*\.\. code-block::\s*(\S+)", line)
        if directive and SHELL_BLOCK.match(directive.group(1)):
            commands += _logical_lines(_indented_block(lines, number + 1))
        elif line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            block = _logical_lines(_indented_block(lines, number + 1))
            commands += [c for c in block if _is_command(c)]
    commands += [c for c in re.findall(r"``([^`]+)``", text) if _is_command(c)]
    return commands


def _commands() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        parse = _markdown_commands if document.suffix == ".md" else _rst_commands
        found += [(document.name, command) for command in parse(text)]
    return found


COMMANDS = _commands()
MAKE = shutil.which("make") or "make"


def test_the_readme_and_docs_print_commands():
    names = {document for document, _ in COMMANDS}
    assert "README.md" in names
    assert {c for _, c in COMMANDS} >= {"make demo", "make test"}


def test_the_readme_s_first_commands_are_make_demo_and_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert first_block is not None
    assert _logical_lines(first_block.group(1).splitlines()) == [
        "make demo",
        "make test",
    ]
    before = readme[: first_block.start()]
    assert not _markdown_commands(before)


def _extras_of(requirement: str) -> set[str] | None:
    """The extras a requirement asks for, if it is this package: from the
    index, a clone (``./authlib-cashsocial``), its wheel, or the git URL."""
    extras = r"(?:\[([a-z,]+)\])?"
    forms = (
        rf"authlib-cashsocial{extras}",
        rf"\./{re.escape(CLONE)}{extras}",
        rf"{re.escape(WHEEL)}-py3-none-any\.whl{extras}",
        rf"authlib-cashsocial{extras} @ git\+{re.escape(SOURCE)}(?:\.git)?(?:@\S+)?",
    )
    for form in forms:
        match = re.fullmatch(form, requirement)
        if match:
            return set(filter(None, (match.group(1) or "").split(",")))
    return None


@pytest.mark.parametrize(("document", "command"), COMMANDS)
def test_every_printed_command_runs_from_a_fresh_clone(document: str, command: str):
    words = shlex.split(command)
    if words[0] == "make":
        target, *assignments = words[1:] or ["test"]
        assert target in TARGETS, f"{document}: no make target {target!r}"
        for assignment in assignments:
            name, _, _ = assignment.partition("=")
            assert name in MAKE_VARIABLES, f"{document}: make ignores {name}"
        make = [MAKE, "--dry-run", "--no-print-directory", target, *assignments]
        dry = subprocess.run(
            make,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert dry.returncode == 0, dry.stderr
    elif words[:2] == ["pip", "install"]:
        for requirement in words[2:]:
            if requirement.lower() in TESTED_WITH or requirement == "-e":
                continue
            extras = _extras_of(requirement)
            assert extras is not None, f"{document}: {command!r} installs another"
            assert extras <= EXTRAS, f"{document}: no extra {extras - EXTRAS}"
    elif words[:2] == ["git", "clone"]:
        assert words[2:] in ([SOURCE], [SOURCE + ".git"]), f"{document}: {command!r}"
    elif words[:2] == ["pip", "wheel"]:
        # the wheel of a clone, into dist/ (where the install line finds it)
        assert words[2:] == ["--no-deps", "--wheel-dir", "dist", f"./{CLONE}"], (
            f"{document}: {command!r}"
        )
    elif words[:3] == ["python", "-m", "authlib_cashsocial"]:
        if words[3:] in (["--help"], ["--version"]) or "--help" in words:
            return
        try:
            _parser().parse_args(words[3:])
        except SystemExit:  # pragma: no cover - the failure below
            pytest.fail(f"{document}: {command!r}: the command line refuses it")
    else:
        pytest.fail(
            f"{document}: {command!r} does not run as printed from a fresh clone; "
            "print a make target instead"
        )


def test_the_api_reference_documents_no_private_module():
    """The reference is the public API: no ``_module`` (the pytest plugin's
    module is the public entry point's, outside the package)."""
    page = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    targets = re.findall(r"^\.\. auto\w+:: (\S+)", page, re.MULTILINE)
    assert targets
    for target in targets:
        module, *rest = target.split(".")
        if module == "_authlib_cashsocial_pytestplugin":
            continue
        assert not any(part.startswith("_") for part in rest), target
