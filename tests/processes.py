"""Commands the tests start as a user would: their output read as it comes
(so that a chatty server never blocks on a full pipe), waited on with
deadlines, never fixed sleeps."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Output:
    """The lines a stream gave so far, read by a thread until it closes."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first match of ``pattern`` in a line, waiting for it."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    match = compiled.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(
                        f"no line matching {pattern!r} in:\n" + "\n".join(self.lines)
                    )
                self._changed.wait(left)

    def join(self, timeout: float = 10) -> None:
        self._thread.join(timeout)


class Command:
    """A running command with its stdout and stderr being read."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.stdout = Output(self.proc.stdout)
        self.stderr = Output(self.proc.stderr)

    def interrupt(self, timeout: float = 15) -> int:
        """Ctrl-C, and the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def wait(self, timeout: float = 60) -> int:
        """The exit status, once the output is all read."""
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stdout.join()
            self.stderr.join()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None and self.proc.poll() is not None:
                    stream.close()


@contextmanager
def running(
    args: Sequence[str], *, env: dict[str, str] | None = None
) -> Iterator[Command]:
    command = Command(args, env=env)
    try:
        yield command
    finally:
        if command.proc.poll() is None:
            try:
                command.interrupt()
            except subprocess.TimeoutExpired:
                command.proc.kill()
                command.wait()
        else:
            command.wait()


def python_env(**variables: str) -> dict[str, str]:
    """This environment without any CASHSOCIAL_* or SECRET_KEY, plus these."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CASHSOCIAL_") and k != "SECRET_KEY"
    }
    env.update(variables)
    return env


def module_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "authlib_cashsocial", *args]


def wait_until_serving(url: str, timeout: float = 60) -> requests.Response:
    """GET ``url`` until the server answers (refused, reset or slow to start
    on a busy machine: try again until the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
