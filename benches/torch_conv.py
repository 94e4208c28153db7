"""PyTorch side of examples/profile_conv.rs: the same convolutions at the DCGAN 64x64 shapes
(batch 64, k4 s2 p1), forward, then what the weight gradient and the input gradient add: fastest wall ms
(CPU ms of that run).
`python benches/torch_conv.py [REPS]` with GANBOOK_THREADS threads (default: all cores)."""
import os
import sys
import time

import torch
import torch.nn as nn


def fastest(reps, f):
    """Fastest of reps runs (wall ms) and the process CPU time of that run (ms)."""
    best = (float("inf"), 0.0)
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        f()
        run = ((time.perf_counter() - t) * 1e3, (time.process_time() - c) * 1e3)
        best = min(best, run)
    return best


def profile(name, reps, layer, shape):
    x = torch.randn(*shape)
    with torch.no_grad():
        f = fastest(reps, lambda: layer(x))
    w = fastest(reps, lambda: layer(x).sum().backward())
    xr = x.clone().requires_grad_()
    b = fastest(reps, lambda: layer(xr).sum().backward())
    print(f"{name:<26} fwd {f[0]:6.1f} ({f[1]:6.1f}) ms  +dW {w[0] - f[0]:6.1f} ({w[1] - f[1]:6.1f}) ms"
          f"  +dX {b[0] - w[0]:6.1f} ({b[1] - w[1]:6.1f}) ms  fwd+bwd {b[0]:6.1f}")


def main():
    torch.set_num_threads(int(os.environ.get("GANBOOK_THREADS", os.cpu_count() or 1)))
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for ci, co, hw in [(3, 64, 64), (64, 128, 32), (128, 256, 16), (256, 512, 8)]:
        profile(f"conv2d {ci}->{co}", reps, nn.Conv2d(ci, co, 4, 2, 1, bias=False), (64, ci, hw, hw))
    for ci, co, hw in [(512, 256, 4), (256, 128, 8), (128, 64, 16), (64, 3, 32)]:
        profile(f"conv_transpose2d {ci}->{co}", reps, nn.ConvTranspose2d(ci, co, 4, 2, 1, bias=False),
                (64, ci, hw, hw))


if __name__ == "__main__":
    main()
