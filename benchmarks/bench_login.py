"""What a user feels at login: this package's Flask app against stock Authlib
configured by hand, over a network with latency.

``make bench`` (or ``python benchmarks/bench_login.py``) serves fake Sngine
sites on loopback in a process of their own (``provider_process.py``: one
site per client, so that each counts its own client's requests) and, in a
second process (``latency_proxy.py``), an HTTPS front for each site and a
relay to it that adds 25 ms each way and counts the connections each app
opens. It measures in one run:

1. logins one after another, the two apps taking turns (``--logins`` each,
   after three to warm up): new connections and round trips to the site per
   login, and the wait at the callback (the exchange and the user info);
2. the first login in a new process with ``token_method="auto"`` against a
   site that reads GET query strings (Sngine before 4.0.4), and the logins
   after it in that process;
3. bursts: ``--concurrent`` users come back from the site at once (a thread
   each) to a freshly started app, the two apps by turns (``--bursts``
   each): time until the last login is done, errors, connections opened.

The browser's visit to the site goes straight to it, not through the relay:
only the apps' own traffic is counted and delayed. Everything runs on
loopback and every wait has a deadline. ``--write FILE`` also writes the
tables as reStructuredText for the docs' Performance page.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))
import latency_proxy
import provider_process
from flask_apps import APP, package_app, stock_authlib_app

#: The clients, each with a site and a relay of its own.
PACKAGE, STOCK, FIRST = "package", "stock", "first"
RELEASES = {PACKAGE: "4.2", STOCK: "4.2", FIRST: "4.0.3"}
APPS = {PACKAGE: package_app, STOCK: stock_authlib_app}
LABELS = {
    PACKAGE: "this package's Flask app",
    STOCK: "stock Authlib, configured by hand",
}
#: Seconds any one wait may take (a login, a burst, a child's answer).
DEADLINE = 120.0


@dataclass
class Site:
    """One fake site as the benchmark reaches it: straight (the browser) and
    through its relay (the app)."""

    name: str
    direct: str
    relayed: str
    app_id: str
    app_secret: str
    cookies: dict[str, tuple[str, str]]
    ca_pem: str


class Child:
    """A child process and the pipe to it, with a deadline on every answer."""

    def __init__(self, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=target, args=(theirs, *args), daemon=True)
        self.process.start()
        theirs.close()

    def ask(self, message: Any = None) -> Any:
        if message is not None:
            self.pipe.send(message)
        if not self.pipe.poll(DEADLINE):
            raise TimeoutError(f"no answer from {self.process.name} in {DEADLINE} s")
        return self.pipe.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # it may have ended already
            self.pipe.send("stop")
        self.pipe.close()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


class Logins:
    """Logins through one Flask app: the login route, the browser's visit to
    the site (signed in and approved already, so it answers at once with the
    callback URL), then the callback, which alone is timed."""

    def __init__(self, site: Site, app: Any) -> None:
        self.site = site
        self.app = app
        self.browser = requests.Session()
        self.browser.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.browser.verify = site.ca_pem
        self.lock = threading.Lock()

    def start(self, user: str) -> tuple[Any, str]:
        """A new visitor's pending login: its test client and callback path."""
        client = self.app.test_client()
        start = client.get("/login")
        assert start.status_code == 302, start.status_code
        url = start.headers["Location"].replace(self.site.relayed, self.site.direct, 1)
        name, value = self.site.cookies[user]
        with self.lock:
            self.browser.cookies.clear()
            self.browser.cookies.set(name, value, domain="127.0.0.1")
            resp = self.browser.get(url, allow_redirects=False, timeout=10)
        return client, resp.headers["Location"].removeprefix(APP)

    @staticmethod
    def finish(client: Any, callback: str) -> float:
        """The callback; returns its time in seconds."""
        started = time.perf_counter()
        done = client.get(callback)
        elapsed = time.perf_counter() - started
        assert done.data == b"ok", done.data[:200]
        return elapsed

    def one(self, user: str = "bench0") -> float:
        return self.finish(*self.start(user))

    def close(self) -> None:
        self.browser.close()


@dataclass
class Counts:
    """What the relays and the sites have counted so far."""

    connections: dict[str, int]
    calls: dict[str, int]

    def minus(self, before: Counts, name: str) -> tuple[int, int]:
        return (
            self.connections[name] - before.connections[name],
            self.calls[name] - before.calls[name],
        )


@dataclass
class Bench:
    sites: Child
    relays: Child
    info: dict[str, Site]
    args: argparse.Namespace
    results: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> Counts:
        return Counts(self.relays.ask("stats"), self.sites.ask("stats"))

    def build(self, name: str) -> tuple[Any, Any]:
        site = self.info[name]
        return APPS[name](
            site.relayed, site.app_id, site.app_secret, ca_pem=site.ca_pem
        )

    # ------------------------------------------------------------ 1. one by one

    def one_by_one(self) -> None:
        logins = {}
        closers = []
        for name in APPS:
            app, remote = self.build(name)
            logins[name] = Logins(self.info[name], app)
            closers.append(getattr(remote, "close", None))
        try:
            for login in logins.values():
                for _ in range(3):
                    login.one()
            before = self.counts()
            times: dict[str, list[float]] = {name: [] for name in logins}
            order = list(logins)
            for round_number in range(self.args.logins):
                turn = order if round_number % 2 == 0 else order[::-1]
                for name in turn:
                    times[name].append(logins[name].one())
            after = self.counts()
        finally:
            for login in logins.values():
                login.close()
            for close in closers:
                if close is not None:
                    close()
        for name in logins:
            connections, calls = after.minus(before, name)
            self.results[name] = {
                "connections": connections / self.args.logins,
                "round_trips": calls / self.args.logins,
                "ms": statistics.median(times[name]) * 1e3,
            }

    # ------------------------------------------------------------ 2. first login

    def first_login(self) -> None:
        site = self.info[FIRST]
        before = self.counts()
        child = Child(first_logins, site, self.args.logins)
        try:
            first_ms = child.ask()
            after_first = self.counts()
            later_ms = child.ask("go")
            after = self.counts()
        finally:
            child.close()
        connections, calls = after_first.minus(before, FIRST)
        self.results["first"] = {
            "connections": connections,
            "round_trips": calls,
            "ms": first_ms,
        }
        connections, calls = after.minus(after_first, FIRST)
        self.results["later"] = {
            "connections": connections / self.args.logins,
            "round_trips": calls / self.args.logins,
            "ms": statistics.median(later_ms),
        }

    # ------------------------------------------------------------ 3. bursts

    def bursts(self) -> None:
        users = [f"bench{n + 1}" for n in range(self.args.concurrent)]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in APPS}
        for turn in range(self.args.bursts):
            order = list(APPS) if turn % 2 == 0 else list(APPS)[::-1]
            for name in order:
                runs[name].append(self.burst(name, users))
        self.results["bursts"] = {
            name: {
                "ms": statistics.median(r["ms"] for r in each),
                "errors": sum(r["errors"] for r in each),
                "connections": statistics.median(r["connections"] for r in each),
                "round_trips": statistics.median(r["round_trips"] for r in each),
                "each_ms": [r["ms"] for r in each],
            }
            for name, each in runs.items()
        }

    def burst(self, name: str, users: list[str]) -> dict[str, float]:
        """One burst through a freshly started app (no open connection)."""
        app, remote = self.build(name)
        logins = Logins(self.info[name], app)
        try:
            pending = [logins.start(user) for user in users]
            gc.collect()
            errors = [1] * len(users)
            go = threading.Barrier(len(users) + 1, timeout=DEADLINE)

            def finish(index: int) -> None:
                go.wait()
                try:
                    logins.finish(*pending[index])
                except Exception as exc:  # a failed login is counted, not raised
                    print(f"{name}: {exc!r}"[:300], file=sys.stderr)
                else:
                    errors[index] = 0

            threads = [
                threading.Thread(target=finish, args=(i,), daemon=True)
                for i in range(len(users))
            ]
            for thread in threads:
                thread.start()
            before = self.counts()
            go.wait()
            started = time.perf_counter()
            deadline = started + DEADLINE
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.perf_counter()))
            elapsed = time.perf_counter() - started
            after = self.counts()
        finally:
            logins.close()
            if hasattr(remote, "close"):
                remote.close()
        connections, calls = after.minus(before, name)
        return {
            "ms": elapsed * 1e3,
            "errors": sum(errors),
            "connections": connections,
            "round_trips": calls / len(users),
        }


def first_logins(conn: Connection, site: Site, later: int) -> None:
    """Child process: the package's Flask app with ``token_method="auto"``;
    one login (its callback time goes to the parent), then on ``"go"``
    ``later`` more (their times)."""
    app, remote = package_app(
        site.relayed,
        site.app_id,
        site.app_secret,
        ca_pem=site.ca_pem,
        token_method="auto",
    )
    logins = Logins(site, app)
    try:
        conn.send(logins.one() * 1e3)
        if conn.recv() == "go":
            conn.send([logins.one() * 1e3 for _ in range(later)])
    finally:
        logins.close()
        remote.close()


def start_sites(workdir: Path, delay: float) -> tuple[Child, Child, dict[str, Site]]:
    sites = Child(provider_process.serve, RELEASES, f"{APP}/auth")
    infos = sites.ask()
    ca = trustme.CA()
    cert_pem, ca_pem = workdir / "site.pem", workdir / "ca.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(cert_pem)
    )
    ca.cert_pem.write_to_path(str(ca_pem))
    # The relays stop by themselves well after the longest run.
    relays = Child(
        latency_proxy.serve,
        {name: info["port"] for name, info in infos.items()},
        str(cert_pem),
        delay,
        1800.0,
    )
    ports = relays.ask()
    return (
        sites,
        relays,
        {
            name: Site(
                name=name,
                direct=f"https://127.0.0.1:{ports[name]['https']}",
                relayed=f"https://127.0.0.1:{ports[name]['relayed']}",
                app_id=info["app_id"],
                app_secret=info["app_secret"],
                cookies=info["cookies"],
                ca_pem=str(ca_pem),
            )
            for name, info in infos.items()
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=40, help="per app, one by one")
    parser.add_argument("--concurrent", type=int, default=100, help="logins a burst")
    parser.add_argument("--bursts", type=int, default=5, help="per app")
    parser.add_argument(
        "--delay", type=float, default=0.025, help="seconds each way (the relay)"
    )
    parser.add_argument("--write", type=Path, help="also write the tables (reST)")
    args = parser.parse_args()
    if not 0 < args.concurrent < provider_process.BENCH_USERS:
        parser.error(f"--concurrent: 1 to {provider_process.BENCH_USERS - 1}")
    if not (0 <= args.delay <= 1 and 0 < args.logins <= 1000 and 0 < args.bursts <= 20):
        parser.error("--delay up to 1 s, --logins up to 1000, --bursts up to 20")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cashsocial-bench-") as workdir:
        sites, relays, info = start_sites(Path(workdir), args.delay)
        bench = Bench(sites, relays, info, args)
        try:
            bench.one_by_one()
            print("logins one by one: done", file=sys.stderr)
            bench.first_login()
            print("first login in a process: done", file=sys.stderr)
            bench.bursts()
            print("bursts: done", file=sys.stderr)
        finally:
            relays.close()
            sites.close()
    report = Report(bench.results, args, time.perf_counter() - started)
    print(report.text())
    if args.write:
        args.write.write_text(report.rst(), encoding="utf-8")
    return 0


class Report:
    def __init__(
        self, results: dict[str, Any], args: argparse.Namespace, elapsed: float
    ) -> None:
        self.results = results
        self.args = args
        self.elapsed = elapsed

    def login_rows(self) -> list[tuple[str, ...]]:
        r = self.results
        rows = [
            (
                "app",
                "new connections per login",
                "round trips per login",
                "wait at the callback (median)",
            )
        ]
        named = [
            (LABELS[PACKAGE], r[PACKAGE]),
            (LABELS[STOCK], r[STOCK]),
            (
                "this package, first login in a process "
                '(``token_method="auto"``, a site before Sngine 4.0.4)',
                r["first"],
            ),
            ("the same process, the logins after it", r["later"]),
        ]
        for label, figures in named:
            rows.append(
                (
                    label,
                    _number(figures["connections"]),
                    _number(figures["round_trips"]),
                    f"{figures['ms']:.0f} ms",
                )
            )
        return rows

    def burst_rows(self) -> list[tuple[str, ...]]:
        rows = [
            (
                "app",
                "time to finish (median)",
                "errors",
                "connections opened",
                "round trips per login",
            )
        ]
        for name, label in LABELS.items():
            b = self.results["bursts"][name]
            rows.append(
                (
                    label,
                    f"{b['ms']:.0f} ms",
                    str(b["errors"]),
                    _number(b["connections"]),
                    _number(b["round_trips"]),
                )
            )
        return rows

    def footnote(self) -> str:
        bursts = self.results["bursts"]
        each = "; ".join(
            f"{LABELS[name]}: " + ", ".join(f"{ms:.0f}" for ms in b["each_ms"]) + " ms"
            for name, b in bursts.items()
        )
        return (
            f"One run on {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}: HTTPS on loopback through a relay that "
            f"adds {self.args.delay * 1e3:.0f} ms each way; {self.args.logins} logins "
            f"per app one by one, {self.args.bursts} "
            f"burst{'s' if self.args.bursts != 1 else ''} of "
            f"{self.args.concurrent} per app ({each}), errors summed over the "
            f"bursts; {self.elapsed:.0f} s in all."
        )

    def text(self) -> str:
        out = []
        for rows in (self.login_rows(), self.burst_rows()):
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            out += [
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                for row in rows
            ]
            out.append("")
        out.append(self.footnote())
        return "\n".join(out).replace("``", "")

    def rst(self) -> str:
        out = []
        titles = (
            "Logins one after another",
            f"{self.args.concurrent} users back from the site at once",
        )
        for title, rows in zip(
            titles, (self.login_rows(), self.burst_rows()), strict=True
        ):
            out += [f".. list-table:: {title}", "   :header-rows: 1", ""]
            for row in rows:
                out.append(f"   * - {row[0]}")
                out.extend(f"     - {cell}" for cell in row[1:])
            out.append("")
        out += [self.footnote(), ""]
        return "\n".join(out)


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())
