"""PyTorch side of examples/profile_step.rs: the phases of a DCGAN 32x32 training step (batch
64; the networks of torch_steps.py), medians over 22 steps in ms.
`python benches/torch_phases.py THREADS`"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_steps import dcgan  # noqa: E402


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count() or 1)
    torch.manual_seed(0)
    g, d, batch, shape, nz, _ = dcgan(32)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.randn(batch, *shape).tanh()
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    times = {}
    lap = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        times.setdefault(name, []).append((now - lap[0]) * 1e3)
        lap[0] = now

    bce = F.binary_cross_entropy_with_logits
    for _ in range(24):
        lap[0] = time.perf_counter()
        fake = g(torch.randn(batch, nz))
        mark("1 g_fwd")
        opt_d.zero_grad()
        d_loss = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        d_loss.item()
        mark("2 d_fwds+loss")
        d_loss.backward()
        mark("3a d_bwd")
        opt_d.step()
        mark("3c d_adam")
        opt_g.zero_grad()
        g_loss = bce(d(fake), ones)
        g_loss.item()
        mark("4 gstep_d_fwd")
        g_loss.backward()
        mark("5a g_bwd")
        opt_g.step()
        mark("5c g_adam")
    for name in sorted(times):
        v = sorted(times[name][2:])
        print(f"{name:16} median {v[len(v) // 2]:7.2f} ms  min {v[0]:7.2f}")


if __name__ == "__main__":
    main()
