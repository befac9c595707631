"""CPU per login with the network removed, measured by pyperf, in pairs.

Each pair is a client of ``no_network.py`` and what it is compared with. The
two are built once, then log in by turns, login by login (who goes first
alternates), inside pyperf's timed loop: pyperf calibrates the loop count,
warms up and spreads the values over several worker processes, and its value
is the client's time. The clock is the worker thread's CPU time
(``time.thread_time``): what the login costs, not the time the machine gave
to other programs. A shared machine's speed drifts by half within a second,
so two clients timed one after the other would compare two machines; by turns,
a slow spell falls on both alike.

pyperf keeps one value per timed loop; the other client's time in the same
loop goes to ``--floor-times`` (a JSON line per loop), so each difference is
taken between two figures of one loop. ``bench_login.py`` runs this script
and reads both files.

Run alone::

    python benchmarks/bench_cpu.py --pairs session_over_floor -o cpu.json \\
        --floor-times floors.jsonl
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pyperf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from no_network import CLIENTS, Login

#: The comparisons of issue #13: (client, what it is compared with).
PAIRS = {
    "flask_over_stock": ("package_flask", "stock_flask"),
    "flask_over_floor": ("package_flask", "handwritten_flask"),
    "session_over_floor": ("package_session", "handwritten_session"),
}


def _add_cmdline_args(cmd: list[str], args: object) -> None:
    cmd.extend(("--pairs", getattr(args, "pairs")))  # noqa: B009
    if getattr(args, "floor_times"):  # noqa: B009
        cmd.extend(("--floor-times", getattr(args, "floor_times")))  # noqa: B009


def by_turns(pair: str, floor_times: str | None) -> Callable[[int], float]:
    """pyperf's timed function for ``pair``: ``loops`` logins of each of the
    two, by turns; returns the client's CPU seconds, writes the other's."""
    logins: list[Login] = []

    def timed(loops: int) -> float:
        if not logins:  # built in the worker that times them, not the manager
            logins.extend(CLIENTS[name]() for name in PAIRS[pair])
        client, other = logins
        clock = time.thread_time
        spent = [0.0, 0.0]
        for turn in range(loops):
            order = (0, 1) if turn % 2 == 0 else (1, 0)
            for index in order:
                login = client if index == 0 else other
                start = clock()
                login()
                spent[index] += clock() - start
        if floor_times:
            line = {"pair": pair, "loops": loops, "client": spent[0], "other": spent[1]}
            with open(floor_times, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        return spent[0]

    return timed


def main() -> None:
    warnings.simplefilter("error")  # a benchmarked client must not warn either
    runner = pyperf.Runner(add_cmdline_args=_add_cmdline_args)
    runner.argparser.add_argument(
        "--pairs", default=",".join(PAIRS), help="pair names, comma-separated"
    )
    runner.argparser.add_argument(
        "--floor-times", help="append the other client's time of each loop here"
    )
    args = runner.parse_args()
    for pair in args.pairs.split(","):
        runner.bench_time_func(pair, by_turns(pair, args.floor_times))


if __name__ == "__main__":
    main()
