"""Drives `ganbook run --live tests/live/toy_live.rhai`'s page in headless Chromium (selenium,
chromedriver from Debian) as a teacher would, and checks what the run does.

Usage: drive.py URL SHOTS_DIR [--chromedriver PATH] [--latency N]
  URL        the page's address as ganbook printed it (with ?token=...)
  SHOTS_DIR  where screenshots of the page go (made if missing)
Prints one line per check and "all checks passed"; exits 1 naming the check that failed.
With --latency N, turns the lr_d knob N times and prints the run's median click-to-script time.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


def eventually(secs, what, f):
    t = time.time()
    while True:
        v = f()
        if v:
            return v
        if time.time() - t > secs:
            fail(what)
        time.sleep(0.05)


def state(base, token):
    with urllib.request.urlopen(f"{base}/state?token={token}", timeout=10) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("shots")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    ap.add_argument("--latency", type=int, default=0)
    a = ap.parse_args()
    base, token = a.url.split("/?token=")
    os.makedirs(a.shots, exist_ok=True)
    opts = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1500"]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(a.chromedriver), options=opts)
    try:
        run(driver, a, base, token)
    finally:
        driver.quit()
    print("all checks passed")


def counts(driver):
    d = int(driver.find_element(By.ID, "d-updates").text)
    g = int(driver.find_element(By.ID, "g-updates").text)
    return d, g


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def run(driver, a, base, token):
    driver.get(a.url)
    eventually(30, "the page connects", lambda: driver.find_element(By.ID, "state").text
               not in ("connecting", ""))
    print("ok: the page loads and connects")
    # the live picture (scatter, D's heatmap, G's arrows, manifold) and the loss curve update
    live = eventually(30, "the live picture appears", lambda: driver.find_elements(
        By.CSS_SELECTOR, 'figure[data-series="live/toy"] img[data-version]'))[0]
    v0 = live.get_attribute("data-version")
    eventually(10, "the live picture updates",
               lambda: live.get_attribute("data-version") != v0)
    chart = eventually(10, "the loss curve appears", lambda: driver.find_elements(
        By.CSS_SELECTOR, 'canvas[data-key="d_loss_toy"]'))[0]
    n0 = int(chart.get_attribute("data-points"))
    eventually(10, "the loss curve grows", lambda: int(chart.get_attribute("data-points")) > n0)
    print("ok: the heatmap picture and the loss curve update")
    driver.save_screenshot(os.path.join(a.shots, "playing.png"))

    # pause stops the step counter
    driver.find_element(By.ID, "pause").click()
    time.sleep(0.8)
    paused = counts(driver)
    step = driver.find_element(By.ID, "step").text
    time.sleep(1.0)
    if counts(driver) != paused or driver.find_element(By.ID, "step").text != step:
        fail(f"paused, yet the counters moved: {paused} -> {counts(driver)}")
    print(f"ok: pause holds the run at {paused[0]} D / {paused[1]} G updates")
    driver.find_element(By.ID, "step-d").click()
    eventually(5, "step D makes one D update",
               lambda: counts(driver) == (paused[0] + 1, paused[1]))
    time.sleep(0.6)
    if counts(driver) != (paused[0] + 1, paused[1]):
        fail(f"step D made more than one update: {counts(driver)}")
    print("ok: step D advances exactly one D update")
    driver.find_element(By.ID, "step-g").click()
    eventually(5, "step G", lambda: counts(driver) == (paused[0] + 1, paused[1] + 1))
    driver.find_element(By.ID, "step-round").click()
    eventually(5, "step round", lambda: counts(driver) == (paused[0] + 2, paused[1] + 2))
    print("ok: step G and step round")
    driver.find_element(By.ID, "play").click()
    eventually(5, "play resumes", lambda: counts(driver)[1] > paused[1] + 5)

    # a learning-rate slider reaches the script (its log) within a second
    slider = driver.find_element(By.ID, "knob-lr_d")
    target = 10 ** (-5 + 4 * 0.65)  # position 650 of 1000 on a log slider 1e-5..1e-1
    clicked = time.time()
    driver.execute_script(
        "arguments[0].value = 650; arguments[0].dispatchEvent(new Event('input'));", slider)

    def logged():
        rows = state(base, token)["rows"]
        return any(abs(r[1].get("lr_d", 0) - target) / target < 1e-3 for r in rows)
    eventually(1.5, "the new lr_d reaches the script's log", logged)
    print(f"ok: lr_d slider -> the script's log in {time.time() - clicked:.2f} s "
          "(the log has a row each 0.25 s)")

    # a drawn distribution reaches drawn()
    canvas = driver.find_element(By.ID, "draw-canvas")
    chain = ActionChains(driver).move_to_element_with_offset(canvas, 80, -80).click_and_hold()
    for k in range(12):
        chain = chain.move_by_offset(4, 3)
    chain.release().perform()
    driver.find_element(By.ID, "draw-send").click()
    ctl = lambda: state(base, token)["common"]["controls"]
    eventually(5, "the drawing reaches the server", lambda: ctl()["drawn_version"] >= 1)
    eventually(5, "the script samples the drawing",
               lambda: ctl()["drawn_seen"] == ctl()["drawn_version"])
    print("ok: the drawn distribution reaches drawn()")
    time.sleep(2.5)
    driver.save_screenshot(os.path.join(a.shots, "drawn.png"))

    # reset returns to the snapshot before the training cell
    gen0 = driver.execute_script("return log.generation")
    train = [c for c in driver.find_elements(By.CSS_SELECTOR, "#cells .cell")
             if c.find_element(By.TAG_NAME, "b").text == "train"][0]
    train.find_element(By.CSS_SELECTOR, "button.reset").click()
    eventually(15, "the log starts over", lambda: driver.execute_script(
        "return log.generation") != gen0)

    def base_again():
        rows = state(base, token)["rows"]
        return rows and rows[0][1].get("base") == 8
    eventually(15, "the training cell re-ran from the setup cell's state (base 8, not 9)",
               base_again)
    eventually(15, "training again", lambda: counts(driver)[1] > 0)
    print("ok: reset returns to the setup cell's snapshot")

    if a.latency:
        for k in range(a.latency):
            driver.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                slider, 300 + (k % 2) * 100)
            time.sleep(0.3)
        lat = ctl()["latency_ms"]
        print(f"latency: knob to script median {lat['median']:.2f} ms, max {lat['max']:.2f} ms, "
              f"over {lat['count']} turns")

    errors = console_errors(driver)
    if errors:
        fail(f"console errors: {errors}")
    print("ok: no console errors")


if __name__ == "__main__":
    main()
