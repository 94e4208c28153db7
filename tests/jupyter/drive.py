"""Drives the ganbook kernel with Jupyter's own clients (nbclient, jupyter_client) and prints
what it saw as one JSON object; tests/jupyter.rs asserts on it. The kernelspec is found through
JUPYTER_PATH (the test installs it with `ganbook kernel install --prefix`).

    python drive.py notebook   # nbclient runs a notebook: state, images, results, errors
    python drive.py session    # jupyter_client: progress, interrupt, complete, inspect, ...
    python drive.py hmac       # a client with the wrong key is refused; the right one is not
    python drive.py rerun NB   # nbclient runs a notebook.ipynb that `ganbook run` wrote
    python drive.py panic      # a cell that panics inside an operation; the kernel lives
"""

import json
import queue
import sys
import time

import jupyter_client
import nbformat
from nbclient import NotebookClient

KERNEL = "ganbook"


def start():
    km = jupyter_client.KernelManager(kernel_name=KERNEL)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop(km, kc, seen):
    """Shuts the kernel down through the protocol and records whether it went."""
    pid = km.provisioner.process.pid if km.provisioner else None
    seen["pid"] = pid
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    seen["exited_after_shutdown"] = not km.is_alive()


def execute(kc, code, interrupt_after=None, km=None):
    """Runs one cell; returns its reply content and the iopub messages it caused."""
    msg_id = kc.execute(code)
    outputs = []
    deadline = time.time() + 120
    interrupted = False
    while True:
        if interrupt_after is not None and not interrupted and time.time() > interrupt_after:
            km.interrupt_kernel()
            interrupted = True
        try:
            msg = kc.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            if time.time() > deadline:
                raise TimeoutError(code)
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind != "status":
            outputs.append({"type": kind, "content": msg["content"]})
    reply = kc.get_shell_msg(timeout=30)
    return {"reply": reply["content"], "outputs": outputs}


def shell_request(kc, send):
    send()
    return kc.get_shell_msg(timeout=30)["content"]


def notebook():
    cells = [
        "let x = randn([4, 1, 8, 8]);\nprint(\"drawn\");",
        "grid(x, \"samples/x\");",
        "x.shape()",
        "let model = sequential([linear(4, 2)]);\nmodel",
        "let y = x +\n    nope();",
        "print(`still here: ${x.shape()}`);",
        ":vars",
        ":help randn",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "ganbook (Rhai)", "language": "rhai"}
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=120, allow_errors=True)
    client.execute()
    nbformat.validate(nb)
    return {
        "cells": [
            {"source": c.source, "execution_count": c.execution_count, "outputs": c.outputs}
            for c in nb.cells
        ],
        "language": nb.metadata.get("language_info", {}).get("name"),
    }


def rerun(path):
    """nbclient runs a notebook a `ganbook run` wrote, in the kernel its metadata names."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120).execute()
    return {"cells": [{"source": c.source, "outputs": c.get("outputs", [])} for c in nb.cells]}


def session():
    km, kc = start()
    seen = {}
    seen["info"] = shell_request(kc, kc.kernel_info)
    seen["define"] = execute(kc, "let a = 5;\nparam(\"steps\", 60);")
    seen["progress"] = execute(
        kc,
        "for i in 0..60 {\n"
        "    let m = matmul(randn([96, 96]), randn([96, 96]));\n"
        "    log(i, #{ loss: m.mean().item() });\n"
        "}",
    )
    seen["interrupt"] = execute(
        kc,
        "let n = 0;\nloop {\n    let m = matmul(randn([32, 32]), randn([32, 32]));\n    n += 1;\n}",
        interrupt_after=time.time() + 1.5,
        km=km,
    )
    seen["after_interrupt"] = execute(kc, "a * 2")
    seen["complete"] = shell_request(kc, lambda: kc.complete("let t = ran", 11))
    seen["complete_method"] = shell_request(kc, lambda: kc.complete("let t = randn([2]);\nt.me", 24))
    seen["inspect"] = shell_request(kc, lambda: kc.inspect("randn", 3))
    seen["inspect_call"] = shell_request(kc, lambda: kc.inspect("grid(randn([2]), ", 17))
    seen["inspect_var"] = shell_request(kc, lambda: kc.inspect("a", 1))
    seen["incomplete"] = shell_request(kc, lambda: kc.is_complete("let v = [1,"))
    seen["complete_code"] = shell_request(kc, lambda: kc.is_complete("let v = [1, 2];"))
    seen["invalid"] = shell_request(kc, lambda: kc.is_complete("let = 3;"))
    seen["timed"] = execute(kc, ":time matmul(randn([8, 8]), randn([8, 8]))")
    seen["printing"] = execute(
        kc, "for i in 0..3 {\n    log(i, #{ x: 1.0 * i });\n    print(`printed ${i}`);\n}"
    )
    seen["past_total"] = execute(kc, "for i in 0..400 {\n    log(i, #{ x: 1.0 * i });\n}")
    seen["run_all"] = run_all(kc, ["let q = 1;", "nope();", "let r = 2;", "q"])
    seen["after_abort"] = execute(kc, "r")
    stop(km, kc, seen)
    return seen


def run_all(kc, cells):
    """Sends cells at once, as "Run All" does, and returns their replies' statuses."""
    ids = [kc.execute(c) for c in cells]
    replies = {}
    while len(replies) < len(ids):
        msg = kc.get_shell_msg(timeout=60)
        replies[msg["parent_header"]["msg_id"]] = msg["content"]["status"]
    return [replies[i] for i in ids]


def panic():
    """The kernel runs with GANBOOK_PANIC_AT=optimizer_update: the step panics inside the
    optimizer, as burn does on what it cannot do."""
    km, kc = start()
    seen = {}
    seen["setup"] = execute(kc, "let G = sequential([linear(2, 4)]);\nlet o = adam(G);")
    seen["step"] = execute(kc, "o.step(mse(G.forward(randn([8, 2])), 1.0));")
    seen["after"] = execute(kc, "G.params()")
    stop(km, kc, seen)
    return seen


def hmac():
    km, kc = start()
    seen = {}
    info = km.get_connection_info()
    info["key"] = b"not-the-key"
    forger = jupyter_client.BlockingKernelClient()
    forger.load_connection_info(info)
    forger.start_channels()
    forger.execute("let stolen = 1;")
    try:
        forger.get_shell_msg(timeout=3)
        seen["forged_answered"] = True
    except queue.Empty:
        seen["forged_answered"] = False
    forger.stop_channels()
    seen["after"] = execute(kc, "40 + 2")
    seen["stolen"] = execute(kc, "stolen")
    stop(km, kc, seen)
    return seen


if __name__ == "__main__":
    mode = sys.argv[1]
    modes = {"notebook": notebook, "session": session, "hmac": hmac, "panic": panic}
    result = rerun(sys.argv[2]) if mode == "rerun" else modes[mode]()
    print("RESULT " + json.dumps(result))
