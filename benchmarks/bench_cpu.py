"""CPU per login with the network removed, measured by pyperf.

Each client of ``no_network.py`` is built once, then timed over whole logins
(per-call construction included) in pyperf's worker processes, which
calibrate the loop count, warm up, and spread the values over several
processes. ``bench_login.py`` runs this script once per round, rotating the
order of the clients (``--order``), and reads the JSON it writes (``-o``).

Run alone::

    python benchmarks/bench_cpu.py --order package_flask,stock_flask -o cpu.json
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pyperf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from no_network import CLIENTS


def _add_cmdline_args(cmd: list[str], args: object) -> None:
    cmd.extend(("--order", getattr(args, "order")))  # noqa: B009


def main() -> None:
    warnings.simplefilter("error")  # a benchmarked client must not warn either
    runner = pyperf.Runner(add_cmdline_args=_add_cmdline_args)
    runner.argparser.add_argument(
        "--order", default=",".join(CLIENTS), help="client names, comma-separated"
    )
    args = runner.parse_args()
    for name in args.order.split(","):
        login = CLIENTS[name]()

        def timed(loops: int, login=login) -> float:  # type: ignore[no-untyped-def]
            clock = pyperf.perf_counter
            start = clock()
            for _ in range(loops):
                login()
            return clock() - start

        runner.bench_time_func(name, timed)


if __name__ == "__main__":
    main()
