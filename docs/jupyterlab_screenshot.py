"""Screenshot of JupyterLab running a notebook on the ganbook kernel (docs/images/jupyterlab.png).

Writes a small notebook (a tiny GAN on the built-in handwritten digits: real digits, the
generator's summary, untrained samples, 1,000 training steps with the progress bar, trained
samples) into a temporary folder, starts JupyterLab on it, runs every cell in headless
Chromium through selenium and saves a screenshot of the page.

Needs: a Python environment with JupyterLab and selenium, the ganbook kernelspec installed into
it, and Chromium with its driver (Debian: apt-get install chromium chromium-driver):

    python3 -m venv ~/.cache/ganbook-venv-jupyterlab
    ~/.cache/ganbook-venv-jupyterlab/bin/pip install jupyterlab selenium
    VIRTUAL_ENV=~/.cache/ganbook-venv-jupyterlab ganbook kernel install --sys-prefix
    ~/.cache/ganbook-venv-jupyterlab/bin/python docs/jupyterlab_screenshot.py docs/images/jupyterlab.png

Arguments: the output PNG path; --chromium and --chromedriver name the browser and its driver
(default /usr/bin/chromium and /usr/bin/chromedriver); --timeout bounds the notebook's run in
seconds (default 300); --keep keeps the temporary folder (the notebook, the kernel's outputs and
JupyterLab's log) and prints where it is. JupyterLab's settings and workspaces come from the
temporary folder, so the user's own are neither read nor changed. Exits non-zero with a message
saying which step failed (the kernelspec is missing, JupyterLab did not answer, the kernel never
became idle, a cell failed, no image appeared, ...).
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

NOTEBOOK = "dcgan_demo.ipynb"
KERNEL = "ganbook"
WINDOW = (1400, 1600)

CELLS = [
    (
        "markdown",
        "# A tiny GAN on built-in digits\n"
        "The cells are Rhai run by the **ganbook** kernel; `grid` shows its image under the cell.",
    ),
    (
        "code",
        "seed(0);\n"
        'let data = digits(#{ style: "handwritten", n: 2000 });   // built in, 28x28, [-1, 1]\n'
        'grid(data.batch(16), "real", #{ nrow: 8 });',
    ),
    (
        "code",
        "let G = sequential([linear(32, 256), leaky_relu(0.2), linear(256, 784), tanh(),\n"
        "                    reshape([1, 28, 28])]);\n"
        "let D = sequential([flatten(), linear(784, 256), leaky_relu(0.2), linear(256, 1)]);\n"
        "let z = randn([16, 32]);                     // a fixed latent batch\n"
        'grid(G.sample(z), "samples/untrained", #{ nrow: 8 });\n'
        "G",
    ),
    (
        "code",
        "let opt_g = adam(G, #{ lr: 1e-3, betas: [0.5, 0.999] });\n"
        "let opt_d = adam(D, #{ lr: 1e-3, betas: [0.5, 0.999] });\n"
        'for step in 0..param("steps", 1000) {\n'
        "    let fake = G.forward(randn([64, 32]));\n"
        "    let d_loss = bce_logits(D.forward(data.batch(64)), 1.0)\n"
        "               + bce_logits(D.forward(fake.detach()), 0.0);\n"
        "    opt_d.step(d_loss);\n"
        "    let g_loss = bce_logits(D.forward(fake), 1.0);\n"
        "    opt_g.step(g_loss);\n"
        "    log(step, #{ d_loss: d_loss, g_loss: g_loss });\n"
        "}\n"
        'grid(G.sample(z), "samples/trained", #{ nrow: 8 });',
    ),
]

# JupyterLab settings for a clean picture: no news or update pop-ups, every cell rendered
# (no windowing, so the page shows the whole notebook).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class Failed(Exception):
    """A step that did not work; its message says which and why."""


def step(msg):
    print(f"[{time.monotonic() - T0:6.1f} s] {msg}", flush=True)


def write_notebook(path):
    cells = []
    for i, (kind, source) in enumerate(CELLS):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": KERNEL, "display_name": "ganbook (Rhai)", "language": "rhai"},
            "language_info": {"name": "rhai"},
        },
        "cells": cells,
    }
    with open(path, "w") as f:
        json.dump(nb, f, indent=1)


def check_kernelspec():
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise Failed(
            f"no '{KERNEL}' kernelspec in this environment ({sys.prefix}): run "
            f"`VIRTUAL_ENV={sys.prefix} ganbook kernel install --sys-prefix` first"
        )
    binary = spec.argv[0]
    if not os.access(binary, os.X_OK):
        raise Failed(f"the '{KERNEL}' kernelspec starts {binary}, which is not an executable file")
    return binary


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failed(f"JupyterLab exited ({proc.returncode}) at start")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise Failed(f"JupyterLab did not answer {url.split('?')[0]} in {timeout} s")


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def wait_until(driver, what, script, timeout, poll=0.5):
    """Polls a JavaScript expression until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = driver.execute_script(script)
        except Exception as e:  # the page may be loading
            last = f"{type(e).__name__}: {e}"
        if last is True or (last and not isinstance(last, str)):
            return last
        time.sleep(poll)
    raise Failed(f"{what} (waited {timeout} s; last check: {last!r})")


# JavaScript run in the page; `window.jupyterapp` is there because of
# --LabApp.expose_app_in_browser.
JS_PANEL = """
const app = window.jupyterapp;
if (!app) return null;
const w = app.shell.currentWidget;
if (!w || !w.sessionContext || !w.content || !w.content.model) return null;
"""

JS_KERNEL_IDLE = JS_PANEL + """
const s = w.sessionContext.session;
return !!(s && s.kernel && s.kernel.status === 'idle' && w.sessionContext.isReady)
    || (s && s.kernel ? 'kernel ' + s.kernel.status : 'no kernel yet');
"""

JS_PROGRESS = JS_PANEL + """
const cells = Array.from(w.content.model.cells).filter(c => c.type === 'code');
const done = cells.filter(c => c.executionCount !== null && c.executionCount !== undefined);
const errors = [];
for (const c of cells) {
  for (let i = 0; i < c.outputs.length; i++) {
    const o = c.outputs.get(i).toJSON();
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  }
}
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
const imgs = Array.from(document.querySelectorAll('.jp-Notebook .jp-RenderedImage img'));
return {cells: cells.length, done: done.length,
        counts: cells.map(c => c.executionCount),
        status: kernel ? kernel.status : 'none', errors: errors,
        images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length};
"""


def run_notebook(driver, url, timeout):
    step(f"opening {url.split('?')[0]}")
    driver.get(url)
    wait_until(driver, "JupyterLab did not open the notebook",
               JS_PANEL + "return document.querySelectorAll('.jp-Notebook .jp-Cell').length > 0;",
               90)
    step("notebook open; waiting for the ganbook kernel")
    wait_until(driver, "the kernel never became idle", JS_KERNEL_IDLE, 60)
    name = driver.execute_script(JS_PANEL + "return w.sessionContext.kernelDisplayName;")
    if name != "ganbook (Rhai)":
        raise Failed(f"the notebook runs on kernel {name!r}, not 'ganbook (Rhai)'")
    step(f"kernel '{name}' idle; collapsing the sidebar and running all cells")
    driver.execute_script("""
      const app = window.jupyterapp;
      if (!app.shell.leftCollapsed) app.commands.execute('application:toggle-left-area');
      document.querySelectorAll('.jp-Notification-Toast-Close, .Toastify__close-button')
        .forEach(b => b.click());
    """)
    driver.execute_script(
        "window.jupyterapp.commands.execute('notebook:run-all-cells');")
    deadline = time.monotonic() + timeout
    last_done = -1
    while True:
        p = driver.execute_script(JS_PROGRESS)
        if not p:
            raise Failed("the notebook is no longer the page's current tab")
        if p["errors"]:
            raise Failed("a cell failed: " + "; ".join(p["errors"]))
        if p["done"] != last_done:
            step(f"{p['done']}/{p['cells']} cells have run (kernel {p['status']})")
            last_done = p["done"]
        if (p["done"] == p["cells"] and p["status"] == "idle"
                and p["images"] >= 3 and p["loaded"] == p["images"]):
            step(f"all cells ran, execution counts {p['counts']}; {p['images']} images shown")
            return
        if time.monotonic() > deadline:
            raise Failed(f"the notebook did not finish in {timeout} s: {p}")
        time.sleep(0.5)


def screenshot(driver, out):
    # saved (no unsaved-changes dot on the tab), the outputs included
    driver.execute_script("window.jupyterapp.commands.execute('docmanager:save');")
    wait_until(driver, "the notebook was not saved",
               JS_PANEL + "return !w.context.model.dirty;", 30)
    # the page as it will be shot: no pop-ups, no cell selected for editing, notebook at the top
    driver.execute_script("""
      document.querySelectorAll('.jp-Notification-Toast-Close, .Toastify__close-button')
        .forEach(b => b.click());
      if (document.activeElement) document.activeElement.blur();
      const app = window.jupyterapp;
      const w = app.shell.currentWidget;
      w.content.mode = 'command';
      w.content.activeCellIndex = 0;
      const scroller = document.querySelector('.jp-WindowedPanel-outer')
                       || w.content.node;
      scroller.scrollTop = 0;
    """)
    time.sleep(1.0)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if not driver.save_screenshot(out):
        raise Failed(f"could not save the screenshot to {out}")
    step(f"wrote {out} ({os.path.getsize(out) // 1024} KiB)")


def stop(proc, what):
    """Ends a process this script started, by its PID: SIGTERM, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        print(f"{what} (pid {proc.pid}) did not stop on SIGTERM; killing it", file=sys.stderr)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output", help="the PNG to write, e.g. docs/images/jupyterlab.png")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    ap.add_argument("--timeout", type=float, default=300, help="seconds for the notebook's run")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    out = os.path.abspath(args.output)

    for path in (args.chromium, args.chromedriver):
        if not os.access(path, os.X_OK):
            raise Failed(f"{path} is not there (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise Failed(f"selenium is not installed in {sys.prefix} (pip install selenium)")
    binary = check_kernelspec()
    step(f"kernel binary: {binary}")

    tmp = tempfile.mkdtemp(prefix="ganbook-jupyterlab-")
    work = os.path.join(tmp, "notebooks")
    settings = os.path.join(tmp, "settings")
    os.makedirs(work)
    for name, values in SETTINGS.items():
        path = os.path.join(settings, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(values, f)
    write_notebook(os.path.join(work, NOTEBOOK))

    port = free_port()
    token = secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=settings,
               JUPYTERLAB_WORKSPACES_DIR=os.path.join(tmp, "workspaces"),
               JUPYTER_RUNTIME_DIR=os.path.join(tmp, "runtime"))
    log_path = os.path.join(tmp, "jupyterlab.log")
    lab = driver = None
    try:
        with open(log_path, "w") as log:
            lab = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                 f"--port={port}", "--ServerApp.port_retries=0",
                 f"--IdentityProvider.token={token}", f"--notebook-dir={work}",
                 "--LabApp.expose_app_in_browser=True"]
                + (["--allow-root"] if os.geteuid() == 0 else []),
                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        step(f"JupyterLab started (pid {lab.pid}, port {port}); waiting for it to answer")
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status?token={token}", lab)

        opts = webdriver.ChromeOptions()
        opts.binary_location = args.chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars",
                  "--force-device-scale-factor=1"):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(args.chromedriver), options=opts)
        driver.set_window_size(*WINDOW)
        run_notebook(driver, f"{base}/lab/tree/{NOTEBOOK}?token={token}", args.timeout)
        screenshot(driver, out)
    except Failed:
        if lab is not None:
            print(f"JupyterLab's log (last lines):\n{tail(log_path)}", file=sys.stderr)
        raise
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as e:
                print(f"closing Chromium: {e}", file=sys.stderr)
        stop(lab, "JupyterLab")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    step("done")


if __name__ == "__main__":
    T0 = time.monotonic()
    try:
        main()
    except Failed as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
