"""Screenshots of the live page while scripts/gan_ring8.rhai runs (docs/images/live_*.png):
the plain GAN collapsed onto few modes, then PacGAN covering the ring beside it.

Needs selenium and Chromium with its driver (Debian: chromium chromium-driver), e.g. the venv
.ci/run makes:  ~/.cache/ganbook-venv-browser/bin/python docs/live_screenshot.py \\
    target/release/ganbook docs/images
Arguments: the ganbook binary and the folder for the PNGs. Exits non-zero naming the step
that failed.
"""

import os
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    exe, folder = sys.argv[1], sys.argv[2]
    run = subprocess.Popen([exe, "run", "--live", "scripts/gan_ring8.rhai", "--out",
                            "/tmp/ganbook-live-screenshot", "--no-tensorboard"],
                           stdout=subprocess.PIPE, text=True)
    url = None
    for line in run.stdout:
        if line.startswith("live page: "):
            url = line.split(": ", 1)[1].strip()
            break
    if not url:
        sys.exit("ganbook printed no live page URL")
    opts = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--window-size=1400,1100"]:
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(url)

        def wait_step(series, step, secs=600):
            t = time.time()
            while time.time() - t < secs:
                figs = driver.find_elements(By.CSS_SELECTOR, f'figure[data-series="{series}"]')
                text = driver.find_element(By.ID, "step").text
                if figs and text.isdigit() and int(text) >= step:
                    time.sleep(1.0)
                    return
                time.sleep(0.2)
            sys.exit(f"{series} never reached step {step}")
        wait_step("live/plain", 9000)
        driver.save_screenshot(os.path.join(folder, "live_collapse.png"))
        wait_step("live/pacgan", 12000)
        driver.save_screenshot(os.path.join(folder, "live_recover.png"))
    finally:
        driver.quit()
        run.send_signal(signal.SIGINT)
        run.wait(timeout=30)
    print("wrote live_collapse.png and live_recover.png")


if __name__ == "__main__":
    main()
