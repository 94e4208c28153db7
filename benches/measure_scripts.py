#!/usr/bin/env python3
"""Re-measures the experiment scripts' figures as the README and the script headers quote them.

Runs `ganbook run SCRIPT --out DIR [--set k=v]...` for each job, one after another, each into
an empty run folder, with the probe cache in CACHE (an empty folder times the probes' first
training too), and records under OUT/<tag>/: stdout.txt, stderr.txt, the run folder and
measure.json (exit code, wall-clock seconds, CPU seconds of the run summed over its threads,
and the load average before and after, since the machine may be shared).

    python3 benches/measure_scripts.py target/release/ganbook /tmp/probe-cache /tmp/measure \\
        ring8:scripts/gan_ring8.rhai ring8_s2:scripts/gan_ring8.rhai:seed=2 \\
        webtoon:scripts/dcgan_webtoon.rhai cnn12:scripts/cnn_gan_128.rhai:steps=12:every=6

A job is TAG:SCRIPT[:NAME=VALUE...]. Run from the repository root.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    binary, cache, out_root, jobs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.environ["GANBOOK_CACHE_DIR"] = cache
    for job in jobs:
        tag, script, *sets = job.split(":")
        out = os.path.join(out_root, tag)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        args = [binary, "run", script, "--out", os.path.join(out, "run")]
        for s in sets:
            args += ["--set", s]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before, t0 = os.getloadavg(), time.time()
        p = subprocess.run(args, capture_output=True, text=True)
        wall, load_after = time.time() - t0, os.getloadavg()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with open(os.path.join(out, "stdout.txt"), "w") as f:
            f.write(p.stdout)
        with open(os.path.join(out, "stderr.txt"), "w") as f:
            f.write(p.stderr)
        record = dict(tag=tag, args=args, rc=p.returncode, wall_s=round(wall, 1),
                      cpu_s=round(cpu, 1), load_before=load_before, load_after=load_after,
                      ended=time.strftime("%Y-%m-%dT%H:%M:%S"))
        with open(os.path.join(out, "measure.json"), "w") as f:
            json.dump(record, f, indent=1)
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
