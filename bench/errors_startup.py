"""Time `gskit errors 406` as a whole process against `python -c pass` (same interpreter).

Runs the three commands in alternating rounds so that machine noise hits them alike, then
prints the median and the minimum of each and the ratio of medians to the bare interpreter.
Target (issue #2): at most 1.5x.

    .venv/bin/python bench/errors_startup.py [--runs 60] [--no-bytecode]

By default the children may write and use .pyc files, as an installed package does
(PYTHONDONTWRITEBYTECODE is removed from their environment); --no-bytecode points them at
an empty cache they may not write, so every run compiles the modules from source.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands() -> dict[str, list[str]]:
    python = sys.executable
    script = Path(python).with_name("gskit")
    found = {"python -c pass": [python, "-c", "pass"]}
    if script.exists():
        found["gskit errors 406 (console script)"] = [str(script), "errors", "406"]
    found["python -m gskit errors 406"] = [python, "-m", "gskit", "errors", "406"]
    return found


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run.

    subprocess.run(timeout=...) polls with growing sleeps, which would round every
    figure up; a timer that kills the child is the deadline instead.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = threading.Timer(30, proc.kill)
    deadline.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        deadline.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="rounds (default 60)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE (compile from source every run)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.no_bytecode:  # an empty cache directory that is never written: always compile
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="gskit-bench-")
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        return measure(env, args.runs, args.no_bytecode)
    finally:
        if "PYTHONPYCACHEPREFIX" in env and args.no_bytecode:
            shutil.rmtree(env["PYTHONPYCACHEPREFIX"], ignore_errors=True)


def measure(env: dict[str, str], runs: int, no_bytecode: bool) -> int:
    cmds = commands()
    wall: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the page cache and write .pyc files
        for _ in range(3):
            run_once(cmd, env)
    for _ in range(runs):
        for name, cmd in cmds.items():
            elapsed, used = run_once(cmd, env)
            wall[name].append(elapsed)
            cpu[name].append(used)
    base_wall = statistics.median(wall["python -c pass"])
    base_cpu = statistics.median(cpu["python -c pass"])
    print(f"python: {sys.executable} ({sys.version.split()[0]}); {runs} alternating runs; "
          f"bytecode {'off' if no_bytecode else 'on'}")
    print(f"{'command':<36} {'wall median':>11} {'min':>6} {'ratio':>6} "
          f"{'cpu median':>11} {'ratio':>6}")
    for name in cmds:
        median, used = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:<36} {median * 1000:>8.1f} ms {min(wall[name]) * 1000:>6.1f} "
              f"{median / base_wall:>5.2f}x {used * 1000:>8.1f} ms {used / base_cpu:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
