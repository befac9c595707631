"""How close a login through this package comes to its floor, and to what a
user would write without it.

``make bench`` (or ``python benchmarks/bench_login.py``) serves the fake site
over HTTPS on loopback in a separate process and makes three runs. Each run:

1. complete logins (login route, the browser's visit to the site, callback
   route: exchange and user info) through four clients, interleaved round by
   round:

   a. this package's Flask app (``register`` + the blueprint);
   b. this package's Starlette app (``register`` + ``create_routes``);
   c. the floor: a hand-written Flask app with the same two routes (and a
      pending login in Flask's session) over one pooled ``requests.Session``;
   d. the anchor: Authlib's Flask app configured by hand for Sngine (its own
      client auth method and compliance hook), without this package;

2. 100 concurrent logins against a site that answers in 50 ms, through the
   Starlette app (b) and through the same two routes written by hand over
   one shared ``httpx2.AsyncClient`` (e, the burst's floor), alternately,
   each burst after a few logins of its own client, with no open connection
   and after a full garbage collection (16 of each per run: one pair of
   bursts moves by about ±15 % on a shared machine);

3. CPU per login with the network removed (``bench_cpu.py``, pyperf): each
   package client logs in by turns with what it is compared with, inside
   pyperf's timed loop, and the difference is taken loop by loop.

New connections are counted by the site, per accepted connection. Every
figure is the median of the three runs. ``--write FILE`` also writes the
table as reStructuredText for the docs' Performance page.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pyperf
import requests
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cpu import PAIRS as CPU_PAIRS
from no_network import handwritten_flask_app, stock_flask
from provider_process import BENCH_USERS, serve

import authlib_cashsocial

HERE = Path(__file__).resolve().parent
APP = "http://app.test"
#: Logins of its own a client makes before each of its bursts.
WARM_LOGINS = 3
AGENTS = {
    "a": "a-flask-package",
    "b": "b-starlette-package",
    "c": "c-flask-floor",
    "d": "d-stock-authlib",
    "e": "e-starlette-floor",
}


class Site:
    """The provider process, seen from the benchmark."""

    def __init__(self, ca: trustme.CA, workdir: Path) -> None:
        cert = ca.issue_cert("127.0.0.1")
        self.cert_pem = workdir / "server.pem"
        self.key_pem = workdir / "server.key"
        self.ca_pem = workdir / "ca.pem"
        cert.cert_chain_pems[0].write_to_path(str(self.cert_pem))
        for blob in cert.cert_chain_pems[1:]:
            blob.write_to_path(str(self.cert_pem), append=True)
        cert.private_key_pem.write_to_path(str(self.key_pem))
        ca.cert_pem.write_to_path(str(self.ca_pem))
        context = multiprocessing.get_context("spawn")
        self.parent, child = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(child, str(self.cert_pem), str(self.key_pem), f"{APP}/auth"),
            daemon=True,
        )
        self.process.start()
        info = self.parent.recv()
        self.base_url = f"https://127.0.0.1:{info['port']}"
        self.app_id = info["app_id"]
        self.app_secret = info["app_secret"]
        self.cookies: dict[str, tuple[str, str]] = info["cookies"]
        self.control = self.http()

    def http(self) -> requests.Session:
        """A requests session that trusts the test CA (and only it: with
        trust_env, REQUESTS_CA_BUNDLE would override ``verify``)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_pem)
        return session

    def browser(self, user: str = "bench0") -> requests.Session:
        """A browser signed in at the site as ``user`` who approved the app."""
        session = self.http()
        name, value = self.cookies[user]
        session.cookies.set(name, value, domain="127.0.0.1")
        return session

    def stats(self) -> dict[str, Any]:
        return self.control.get(self.base_url + "/__stats", timeout=10).json()

    def set_delay(self, seconds: float) -> None:
        self.control.get(f"{self.base_url}/__delay?s={seconds}", timeout=10)

    def close(self) -> None:
        self.control.close()
        self.parent.send("stop")
        self.process.join(timeout=10)


def site_redirect(browser: requests.Session, login_url: str) -> str:
    """The browser at the site: already signed in and approved, so the site
    answers at once with the callback URL."""
    resp = browser.get(login_url, allow_redirects=False, timeout=10)
    return resp.headers["Location"]


# ---------------------------------------------------------------- the clients

Login = Callable[[], None]


def _flask_login(site: Site, app: Any, login_url: str | None = None) -> Login:
    client = app.test_client()
    browser = site.browser()

    def login() -> None:
        start = client.get("/login")
        assert start.status_code == 302, start.status_code
        callback = site_redirect(browser, login_url or start.headers["Location"])
        done = client.get(callback.removeprefix(APP))
        assert done.data == b"ok", done.data

    return login


def flask_package(site: Site) -> tuple[Login, Callable[[], None]]:
    """a: this package's Flask app."""
    from authlib.integrations.flask_client import OAuth
    from flask import Flask

    from authlib_cashsocial.flask_client import create_blueprint

    app = Flask("bench_a")
    app.secret_key = "bench"
    oauth = OAuth(app)
    remote = authlib_cashsocial.register(
        oauth,
        client_id=site.app_id,
        client_secret=site.app_secret,
        base_url=site.base_url,
        client_kwargs={"verify": str(site.ca_pem), "trust_env": False},
        user_agent=AGENTS["a"],
    )
    app.register_blueprint(create_blueprint(remote, handle_login=lambda *_: "ok"))
    return _flask_login(site, app), remote.close


def flask_floor(site: Site) -> tuple[Login, Callable[[], None]]:
    """c: the same two routes by hand over one pooled requests session."""
    http = site.http()
    http.headers["User-Agent"] = AGENTS["c"]
    app = handwritten_flask_app(http, site.base_url, site.app_id, site.app_secret)
    return _flask_login(site, app), http.close


def stock_authlib(site: Site) -> tuple[Login, Callable[[], None]]:
    """d: Authlib's Flask app configured by hand, without this package."""
    app = stock_flask(
        site.base_url,
        site.app_id,
        site.app_secret,
        user_agent=AGENTS["d"],
        client_kwargs={"verify": str(site.ca_pem), "trust_env": False},
    )
    # Authlib's login link carries OAuth parameters the site ignores.
    login_url = f"{site.base_url}/api/oauth?{urlencode({'app_id': site.app_id})}"
    return _flask_login(site, app, login_url), lambda: None


def _burst_limits() -> httpx2.Limits:
    return httpx2.Limits(max_connections=200, max_keepalive_connections=200)


def starlette_package(site: Site) -> tuple[Any, Callable[[], Any]]:
    """b: this package's Starlette app (an ASGI app and its closer)."""
    from authlib.integrations.starlette_client import OAuth
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import PlainTextResponse

    from authlib_cashsocial.starlette_client import create_routes

    oauth = OAuth()
    remote = authlib_cashsocial.register(
        oauth,
        client_id=site.app_id,
        client_secret=site.app_secret,
        base_url=site.base_url,
        client_kwargs={"verify": str(site.ca_pem), "trust_env": False},
        user_agent=AGENTS["b"],
    )
    app = Starlette(
        routes=create_routes(remote, handle_login=lambda *_: PlainTextResponse("ok")),
        middleware=[Middleware(SessionMiddleware, secret_key="bench")],
    )
    return app, remote.aclose


def starlette_floor(site: Site) -> tuple[Any, Callable[[], Any]]:
    """e: the same two routes by hand over one shared httpx2.AsyncClient, with
    the package's default pool size. Its closer closes that client and puts a
    new one in its place (an empty pool, like the package's after
    ``aclose()``)."""
    import secrets

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    def shared_client() -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            verify=str(site.ca_pem),
            trust_env=False,
            headers={"User-Agent": AGENTS["e"]},
            limits=httpx2.Limits(max_connections=100, max_keepalive_connections=100),
            timeout=10,
        )

    pool = [shared_client()]
    login_url = f"{site.base_url}/api/oauth?{urlencode({'app_id': site.app_id})}"

    async def login(request: Request) -> Response:
        request.session["pending"] = secrets.token_urlsafe(16)
        return RedirectResponse(login_url, status_code=302)

    async def auth(request: Request) -> Response:
        if request.session.pop("pending", None) is None:
            return PlainTextResponse("no pending login", status_code=400)
        http = pool[0]
        answer = await http.post(
            f"{site.base_url}/api/authorize",
            data={
                "app_id": site.app_id,
                "app_secret": site.app_secret,
                "auth_key": request.query_params["auth_key"],
            },
        )
        user = await http.get(
            f"{site.base_url}/api/get_user_info",
            params={"access_token": answer.json()["access_token"]},
        )
        return PlainTextResponse("ok" if user.json()["user_info"]["user_id"] else "no")

    app = Starlette(
        routes=[Route("/login", login), Route("/auth", auth)],
        middleware=[Middleware(SessionMiddleware, secret_key="bench")],
    )

    async def aclose() -> None:
        closing, pool[0] = pool[0], shared_client()
        await closing.aclose()

    return app, aclose


class AsyncLogins:
    """Logins through an ASGI app, each from a browser of its own."""

    def __init__(self, site: Site, app: Any, close_pool: Callable[[], Any]) -> None:
        self.site = site
        self.app = app
        self.close_pool = close_pool
        self.browser = self._browser()

    def _browser(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            verify=str(self.site.ca_pem), trust_env=False, limits=_burst_limits()
        )

    async def cold(self) -> None:
        """Start again with no open connection: the app's pool and the
        browsers'."""
        await self.close_pool()
        await self.browser.aclose()
        self.browser = self._browser()

    async def one(self, user: str) -> None:
        name, value = self.site.cookies[user]
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=self.app), base_url=APP
        ) as client:
            start = await client.get("/login")
            resp = await self.browser.get(
                start.headers["location"], cookies={name: value}
            )
            done = await client.get(resp.headers["location"].removeprefix(APP))
            assert done.text == "ok", done.text

    async def burst(self, users: list[str]) -> None:
        await asyncio.gather(*(self.one(user) for user in users))

    async def aclose(self) -> None:
        await self.browser.aclose()


# ---------------------------------------------------------------- measuring


def cpu_pairs(number: int, workdir: Path, processes: int) -> dict[str, Any]:
    """One pyperf run of bench_cpu.py: for each pair, the client's and the
    other's CPU per login (µs), and the median of their loop-by-loop
    difference."""
    out = workdir / f"cpu-{number}.json"
    others = workdir / f"cpu-{number}-others.jsonl"
    command = [sys.executable, str(HERE / "bench_cpu.py"), "--quiet"]
    command += ["--processes", str(processes), "--values", "3", "--min-time", "0.05"]
    command += ["-o", str(out), "--floor-times", str(others)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    # The other's time of the loop whose client time gave each pyperf value.
    loops_seen: dict[tuple[str, float], float] = {}
    for line in others.read_text(encoding="utf-8").splitlines():
        loop = json.loads(line)
        value = float(loop["client"]) / loop["loops"]
        loops_seen[(loop["pair"], value)] = float(loop["other"]) / loop["loops"]
    result: dict[str, Any] = {}
    for bench in pyperf.BenchmarkSuite.load(str(out)).get_benchmarks():
        pair = bench.get_name()
        values = bench.get_values()
        paired = [loops_seen[(pair, value)] for value in values]
        result[pair] = {
            "client": statistics.median(values) * 1e6,
            "other": statistics.median(paired) * 1e6,
            "difference": statistics.median(
                (c - o) * 1e6 for c, o in zip(values, paired, strict=True)
            ),
        }
    return result


def one_run(
    number: int,
    site: Site,
    sync_clients: dict[str, Login],
    bursts: dict[str, AsyncLogins],
    loop: asyncio.AbstractEventLoop,
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def login_b() -> None:
        loop.run_until_complete(bursts["b"].one("bench0"))

    clients = {**sync_clients, "b": login_b}
    order = sorted(clients)
    for login in clients.values():  # the site closes connections idle for 10 s
        login()
    before = site.stats()
    times: dict[str, list[float]] = {k: [] for k in clients}
    for round_number in range(args.logins):
        shift = (round_number + number) % len(order)
        for name in order[shift:] + order[:shift]:
            start = time.perf_counter()
            clients[name]()
            times[name].append(time.perf_counter() - start)
    after = site.stats()
    result["ms"] = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    result["new_connections"] = {
        k: (_conns(after, k) - _conns(before, k)) / args.logins for k in clients
    }

    # The bursts, the site answering in 50 ms: b and e by turns (b e e b ...),
    # a ratio taken between neighbours. Each starts alike: its client warm
    # from a few logins of its own (not from the other's burst, which left
    # both the CPU's caches and the heap to the other), then no open
    # connection and no garbage of the burst before (a full collection
    # otherwise fell on every second burst).
    users = [f"bench{n}" for n in range(2, 2 + min(args.concurrent, BENCH_USERS - 2))]
    site.set_delay(0.05)
    burst_ms: dict[str, list[float]] = {"b": [], "e": []}
    burst_conns: dict[str, list[float]] = {"b": [], "e": []}
    for turn in range(args.bursts):
        for name in ("b", "e") if (turn + number) % 2 == 0 else ("e", "b"):
            for _ in range(WARM_LOGINS):
                loop.run_until_complete(bursts[name].one("bench0"))
            loop.run_until_complete(bursts[name].cold())
            gc.collect()
            before = site.stats()
            start = time.perf_counter()
            loop.run_until_complete(bursts[name].burst(users))
            burst_ms[name].append((time.perf_counter() - start) * 1e3)
            after = site.stats()
            new = _conns(after, name) - _conns(before, name)
            burst_conns[name].append(new / len(users))
    site.set_delay(0)
    result["burst_ms"] = {k: statistics.median(v) for k, v in burst_ms.items()}
    result["burst_ratios"] = [
        b / e for b, e in zip(burst_ms["b"], burst_ms["e"], strict=True)
    ]
    result["burst_ratio"] = statistics.median(result["burst_ratios"])
    result["burst_new_connections"] = {k: max(v) for k, v in burst_conns.items()}
    result["burst_size"] = len(users)

    result["cpu_us"] = cpu_pairs(number, workdir, 3 if args.fast else args.processes)
    return result


def _conns(stats: dict[str, Any], client: str) -> int:
    return int(stats.get(AGENTS[client], {}).get("connections", 0))


def median_of(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(float(value))
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=150, help="per client per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--bursts", type=int, default=16, help="per client per run")
    parser.add_argument(
        "--processes", type=int, default=10, help="pyperf processes per pair"
    )
    parser.add_argument(
        "--fast", action="store_true", help="3 pyperf processes (a quick look)"
    )
    parser.add_argument("--write", type=Path, help="also write the table (reST)")
    parser.add_argument("--json", type=Path, help="also write every run's figures")
    args = parser.parse_args()

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="cashsocial-bench-"))
    site = Site(trustme.CA(), workdir)
    loop = asyncio.new_event_loop()
    closers: list[Callable[[], Any]] = []
    async_closers: list[Callable[[], Any]] = []
    runs: list[dict[str, Any]] = []
    try:
        a_login, a_close = flask_package(site)
        c_login, c_close = flask_floor(site)
        d_login, d_close = stock_authlib(site)
        closers = [a_close, c_close, d_close]
        b_app, b_close = starlette_package(site)
        e_app, e_close = starlette_floor(site)
        bursts = {
            "b": AsyncLogins(site, b_app, b_close),
            "e": AsyncLogins(site, e_app, e_close),
        }
        async_closers = [b_close, e_close, *(x.aclose for x in bursts.values())]
        sync_clients = {"a": a_login, "c": c_login, "d": d_login}
        for login in sync_clients.values():  # warm-up: pools, imports, caches
            for _ in range(3):
                login()
        for name in bursts:
            loop.run_until_complete(bursts[name].one("bench0"))
        for number in range(args.runs):
            runs.append(
                one_run(number, site, sync_clients, bursts, loop, args, workdir)
            )
            print(f"run {number + 1} of {args.runs} done", file=sys.stderr)
    finally:
        for close in closers:
            close()
        for aclose in async_closers:
            loop.run_until_complete(aclose())
        loop.close()
        site.close()

    report = Report(runs, args)
    print(report.text(time.perf_counter() - started))
    if args.write:
        args.write.write_text(report.rst(), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    return 0


LABELS = {
    "a": "a. Flask app (this package)",
    "b": "b. Starlette app (this package)",
    "c": "c. Flask floor: same routes by hand, one pooled session",
    "d": "d. stock Authlib Flask app, configured by hand",
}


class Report:
    """The medians of the runs, and each goal of issue #13 against them."""

    def __init__(self, runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
        self.runs = runs
        self.args = args
        m = lambda *path: median_of(runs, *path)  # noqa: E731
        self.ms = {k: m("ms", k) for k in LABELS}
        self.conns = {k: m("new_connections", k) for k in LABELS}
        self.burst = {k: m("burst_ms", k) for k in ("b", "e")}
        self.burst_conns = {k: m("burst_new_connections", k) for k in ("b", "e")}
        self.burst_size = runs[0]["burst_size"]
        # Ratios: the median of each run's own ratio (one interleaved run).
        self.a_over_c = statistics.median(r["ms"]["a"] / r["ms"]["c"] for r in runs)
        self.a_over_d = statistics.median(r["ms"]["a"] / r["ms"]["d"] for r in runs)
        self.b_over_e = m("burst_ratio")
        # How far one pair of bursts moves (the machine's speed drifts).
        self.pair_ratios = [x for r in runs for x in r["burst_ratios"]]
        quartiles = statistics.quantiles(self.pair_ratios, n=4)
        self.pair_quartiles = ", ".join(f"{q:.3f}" for q in quartiles)
        self.cpu = {
            pair: {k: m("cpu_us", pair, k) for k in ("client", "other", "difference")}
            for pair in CPU_PAIRS
        }
        self.flask_cpu_extra = self.cpu["flask_over_stock"]["difference"]
        self.session_cpu_extra = self.cpu["session_over_floor"]["difference"]
        self.flask_cpu_over_floor = self.cpu["flask_over_floor"]["difference"]

    def client_rows(self) -> list[tuple[str, ...]]:
        return [
            ("client", "median ms/login", "logins/s", "new connections per login"),
            *[
                (
                    LABELS[k],
                    f"{self.ms[k]:.2f}",
                    f"{1e3 / self.ms[k]:.0f}",
                    f"{self.conns[k]:.2f}",
                )
                for k in LABELS
            ],
        ]

    def goals(self) -> list[tuple[str, str, str, str]]:
        def verdict(ok: bool) -> str:
            return "met" if ok else "missed"

        n = self.burst_size
        return [
            (
                "CPU: Flask app minus stock Authlib (no network)",
                f"{self.flask_cpu_extra:+.0f} µs",
                "≤ +100 µs",
                verdict(self.flask_cpu_extra <= 100),
            ),
            (
                "CPU: CashSocialSession minus hand-written session (no network)",
                f"{self.session_cpu_extra:+.0f} µs",
                "≤ +50 µs",
                verdict(self.session_cpu_extra <= 50),
            ),
            (
                "end to end: a ÷ c (Flask app vs the same routes by hand)",
                f"{self.a_over_c:.3f}",
                "≤ 1.05",
                verdict(self.a_over_c <= 1.05),
            ),
            (
                f"burst: {n} Starlette logins at a 50 ms site ÷ shared AsyncClient",
                f"{self.b_over_e:.3f}",
                "≤ 1.10",
                verdict(self.b_over_e <= 1.10),
            ),
            (
                "burst: new connections per login (Starlette app)",
                f"{self.burst_conns['b']:.2f}",
                "≤ 1",
                verdict(self.burst_conns["b"] <= 1),
            ),
        ]

    def cpu_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = [
            ("pair", "client µs", "other µs", "difference µs")
        ]
        for pair, (client, other) in CPU_PAIRS.items():
            cpu = self.cpu[pair]
            rows.append(
                (
                    f"{client}, {other}",
                    f"{cpu['client']:.0f}",
                    f"{cpu['other']:.0f}",
                    f"{cpu['difference']:+.0f}",
                )
            )
        return rows

    def footnote(self) -> str:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        return (
            f"Median of {len(self.runs)} interleaved runs on {machine}; "
            f"{self.args.logins} logins per client per run over HTTPS on loopback. "
            f"Burst of {self.burst_size}: Starlette app {self.burst['b']:.0f} ms, "
            f"hand-written floor {self.burst['e']:.0f} ms "
            f"({self.burst_conns['e']:.2f} new connections per login). "
            f"a ÷ d (Flask app vs stock Authlib, time): {self.a_over_d:.2f}. "
            f"CPU of the Flask app above the hand-written Flask floor: "
            f"{self.flask_cpu_over_floor:+.0f} µs. "
            f"Each run's a ÷ c: {self._each('a_over_c')}; b ÷ e: "
            f"{self._each('burst_ratio')}. The {len(self.pair_ratios)} pairs of "
            f"bursts, b ÷ e: quartiles {self.pair_quartiles}."
        )

    def _each(self, figure: str) -> str:
        if figure == "a_over_c":
            values = [r["ms"]["a"] / r["ms"]["c"] for r in self.runs]
        else:
            values = [r[figure] for r in self.runs]
        return ", ".join(f"{v:.3f}" for v in values)

    def text(self, elapsed: float) -> str:
        rows = self.client_rows()
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows
        ]
        lines.append("")
        lines.append("CPU per login, no network (pyperf, thread CPU time):")
        lines += ["  " + " | ".join(row) for row in self.cpu_rows()]
        lines.append("")
        for label, value, target, verdict in self.goals():
            lines.append(f"{label}: {value}   target {target}   {verdict}")
        lines.append("")
        lines.append(self.footnote())
        lines.append(f"total run: {elapsed:.1f} s")
        return "\n".join(lines)

    def rst(self) -> str:
        out = [".. list-table::", "   :header-rows: 1", ""]
        for row in self.client_rows():
            out.append(f"   * - {row[0]}")
            out.extend(f"     - {cell}" for cell in row[1:])
        out += ["", ".. list-table::", "   :header-rows: 1", ""]
        out += ["   * - goal (issue #13)", "     - measured", "     - target"]
        out += ["     - verdict"]
        for label, value, target, verdict in self.goals():
            out += [
                f"   * - {label}",
                f"     - {value}",
                f"     - {target}",
                f"     - {verdict}",
            ]
        out += ["", ".. list-table::", "   :header-rows: 1", ""]
        for index, row in enumerate(self.cpu_rows()):
            names = (
                row[0]
                if index == 0
                else " by turns with ".join(
                    f"``{name}``" for name in row[0].split(", ")
                )
            )
            out.append(f"   * - {names}")
            out.extend(f"     - {cell}" for cell in row[1:])
        out += ["", self.footnote(), ""]
        return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
