#!/usr/bin/env python3
"""Time from starting keel-local until every agent is registered with the master.

keel-local writes --address_file only after the master reports all agents registered,
so the time from spawning the process to the file appearing is the figure (it includes
exec, dynamic loading and both agents' registrations). Prints the median and the worst
of --runs runs, and keel-local's own figure measured from main().

  bench/local_startup.py build/bin [--agents=2] [--runs=20]
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(bin_dir, agents):
    with tempfile.TemporaryDirectory(prefix="keel-bench-local.") as work:
        addr = os.path.join(work, "master")
        with open(os.path.join(work, "log"), "w+") as log:
            start = time.perf_counter()
            proc = subprocess.Popen([f"{bin_dir}/keel-local", f"--num_slaves={agents}",
                                     f"--work_dir={work}", "--ip=127.0.0.1", "--port=0",
                                     "--resources=cpus:4;mem:4096", f"--address_file={addr}"],
                                    stdout=log, stderr=subprocess.STDOUT)
            deadline = start + 10
            while not os.path.exists(addr) and time.perf_counter() < deadline:
                time.sleep(0.0005)
            elapsed = (time.perf_counter() - start) * 1000
            proc.terminate()
            proc.wait(timeout=20)
            log.seek(0)
            m = re.search(r"registered in ([0-9.]+) ms", log.read())
        return elapsed, float(m.group(1)) if m else float("nan")


def main():
    bin_dir = sys.argv[1]
    agents = 2
    runs = 20
    for arg in sys.argv[2:]:
        if arg.startswith("--agents="):
            agents = int(arg.split("=")[1])
        elif arg.startswith("--runs="):
            runs = int(arg.split("=")[1])
    outside, inside = [], []
    for i in range(runs):
        o, n = one_run(bin_dir, agents)
        outside.append(o)
        inside.append(n)
        print(f"\rrun {i + 1}/{runs}: {o:.1f} ms", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"keel-local start -> {agents} agents registered ({runs} runs, nproc={os.cpu_count()}):")
    print(f"  from spawning the process: median {statistics.median(outside):.1f} ms, "
          f"max {max(outside):.1f} ms")
    print(f"  from main() (keel-local's own figure): median {statistics.median(inside):.1f} ms, "
          f"max {max(inside):.1f} ms")


if __name__ == "__main__":
    main()
