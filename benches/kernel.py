"""The Jupyter kernel's timings, for `ganbook bench kernel` (which installs the kernelspec and
sets JUPYTER_PATH): start -> first kernel_info reply, a `1+1` cell's round trip through
jupyter_client and through nbclient (a notebook of 101 such cells against one of 1, the
difference per cell), and one DCGAN-32 training step per cell (benches/dcgan32.rhai), each
timed from the client's side. Prints one JSON object: lists of seconds or milliseconds.

    python kernel.py SCRIPT STEPS WARMUP
"""

import json
import sys
import time

import jupyter_client
import nbformat
from nbclient import NotebookClient


def start():
    km = jupyter_client.KernelManager(kernel_name="ganbook")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)  # returns on the first kernel_info reply
    return km, kc


def cell(kc, code):
    reply = kc.execute_interactive(code, timeout=600, output_hook=lambda m: None)
    if reply["content"]["status"] != "ok":
        sys.exit(f"cell failed: {reply['content'].get('evalue')}")


def nbclient_seconds(cells):
    """Wall time of nbclient running a notebook of `cells` `1+1` cells, kernel start included."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1+1") for _ in range(cells)]
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_name="ganbook", timeout=60).execute()
    return time.perf_counter() - t0


def main():
    script, steps, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    setup, step = open(script).read().split("\n// %% step\n")
    start_s = []
    for _ in range(3):
        t0 = time.perf_counter()
        km, kc = start()
        start_s.append(time.perf_counter() - t0)
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    nbclient_ms = []
    for _ in range(3):
        one, many = nbclient_seconds(1), nbclient_seconds(101)
        nbclient_ms.append((many - one) / 100 * 1000)
    km, kc = start()
    trips = []
    for _ in range(100):
        t0 = time.perf_counter()
        cell(kc, "1+1")
        trips.append((time.perf_counter() - t0) * 1000)
    cell(kc, setup)
    step_ms = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        cell(kc, step)
        if i >= warmup:
            step_ms.append((time.perf_counter() - t0) * 1000)
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    print(
        json.dumps(
            {
                "start_s": start_s,
                "round_trip_ms": trips,
                "nbclient_cell_ms": nbclient_ms,
                "step_ms": step_ms,
            }
        )
    )


main()
