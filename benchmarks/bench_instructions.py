"""Instructions and simulated cache misses per login, network removed.

Each client of ``no_network.py`` runs under valgrind's cachegrind twice,
logging in ``--logins`` times and three times as often; the difference,
divided by the extra logins, is one login's work without the imports and
the set-up. Unlike time, these counts are the same on a busy machine and on
an idle one, so they tell whether the package does more *work* than its
floor, where the timings of ``bench_cpu.py`` also see the machine.

Needs valgrind (``apt-get install valgrind``). Run::

    python benchmarks/bench_instructions.py
    python benchmarks/bench_instructions.py --clients package_session,stock_flask
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from no_network import CLIENTS

# The counts valgrind prints at exit: the name, then the number.
_COUNTS = {
    "instructions": r"I\s+refs:\s+([\d,]+)",
    "D1 misses": r"D1\s+misses:\s+([\d,]+)",
    "I1 misses": r"I1\s+misses:\s+([\d,]+)",
}
_LOGIN_LOOP = """
import sys
sys.path.insert(0, {here!r})
from no_network import CLIENTS
login = CLIENTS[{name!r}]()
for _ in range({warm}):
    login()
for _ in range({logins}):
    login()
"""


def counts(valgrind: str, name: str, logins: int, workdir: Path) -> dict[str, int]:
    """What cachegrind counts for the whole program at ``logins`` logins."""
    script = workdir / f"{name}-{logins}.py"
    here = str(Path(__file__).resolve().parent)
    script.write_text(_LOGIN_LOOP.format(here=here, name=name, warm=20, logins=logins))
    done = subprocess.run(
        [
            valgrind,
            "--tool=cachegrind",
            "--cache-sim=yes",
            f"--cachegrind-out-file={workdir / 'cachegrind.out'}",
            sys.executable,
            str(script),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = {}
    for label, pattern in _COUNTS.items():
        match = re.search(pattern, done.stderr)
        if match is None:
            raise RuntimeError(f"valgrind printed no {label}:\n{done.stderr}")
        found[label] = int(match.group(1).replace(",", ""))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--logins", type=int, default=50)
    args = parser.parse_args()
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    extra = 2 * args.logins
    print(f"per login ({extra} logins' difference, cachegrind's simulated caches)")
    print(f"{'client':22} {'instructions':>14} {'D1 misses':>10} {'I1 misses':>10}")
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.clients.split(","):
            few = counts(valgrind, name, args.logins, Path(workdir))
            many = counts(valgrind, name, args.logins + extra, Path(workdir))
            per_login = {k: (many[k] - few[k]) / extra for k in _COUNTS}
            print(
                f"{name:22} {per_login['instructions']:>14,.0f} "
                f"{per_login['D1 misses']:>10,.0f} {per_login['I1 misses']:>10,.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
