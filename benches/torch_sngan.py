"""PyTorch's side of an SNGAN-32 training step: Mimicry's SNGAN for 32x32 RGB (Lee & Town 2020;
Miyato et al. 2018), built from the modules that ganbook's `residual`, `avg_pool2d` and
`global_sum_pool` copy (tests/fixtures/make_block_fixtures.py defines them; repeated here so
this script needs nothing but torch).

One step = G makes a batch from z ~ N(0, 1) (128-d); a D step with the hinge loss on the real
batch and that fake batch (detached); a G step with -D(fake).mean() on the same fake batch
(as benches/torch_steps.py does); Adam(2e-4, betas (0.0, 0.9)) for both.

G: linear(128, 4*4*256) -> [256, 4, 4] -> 3 x residual(body [BN, ReLU, upsample 2, conv3x3,
   BN, ReLU, conv3x3], shortcut [upsample 2, conv1x1]) -> BN -> ReLU -> conv3x3(256, 3) -> tanh.
D: residual(body [conv3x3(3, 128), ReLU, conv3x3, avgpool 2], shortcut [avgpool 2, conv1x1])
   -> residual(body [ReLU, conv3x3, ReLU, conv3x3], shortcut conv1x1, down 2)
   -> 2 x residual(body [ReLU, conv3x3, ReLU, conv3x3]) -> ReLU -> sum over H, W
   -> linear(128, 1); every conv and linear of D under spectral norm (not with --no-sn).

Usage: python benches/torch_sngan.py [--batch 64] [--steps 10] [--warmup 2] [--threads N]
                                     [--no-sn] [--device cpu|cuda]
Prints `torch sngan32 median_ms=... min_ms=... max_ms=... peak_mb=...` (`sngan32_nosn` with
--no-sn), the line format of benches/torch_steps.py. Threads default to GANBOOK_THREADS or
every core, the device to GANBOOK_TORCH_DEVICE or cpu (on cuda each step ends with a
read-back, and peak_mb is torch.cuda.max_memory_allocated).
"""
import argparse
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


class Residual(nn.Module):  # ganbook: residual(body, #{ shortcut, up, down })
    def __init__(self, body, shortcut=None, up=1, down=1):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Sequential(*shortcut) if shortcut else None
        self.up, self.down = up, down

    def forward(self, x):
        if self.up > 1:
            x = F.interpolate(x, scale_factor=self.up, mode="nearest")
        out = self.body(x) + (x if self.shortcut is None else self.shortcut(x))
        if self.down > 1:
            out = F.avg_pool2d(out, self.down)
        return out


class AvgPool(nn.Module):  # ganbook: avg_pool2d(k)  (kernel = stride = k)
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return F.avg_pool2d(x, self.k)


class GlobalSumPool(nn.Module):  # ganbook: global_sum_pool()  [N, C, H, W] -> [N, C]
    def forward(self, x):
        return x.sum(dim=(2, 3))


def sngan32(sn=True, nz=128, ngf=256, ndf=128):
    w = spectral_norm if sn else (lambda m: m)

    def g_block(c):
        return Residual([nn.BatchNorm2d(c), nn.ReLU(), nn.Upsample(scale_factor=2),
                         nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(),
                         nn.Conv2d(c, c, 3, 1, 1)],
                        shortcut=[nn.Upsample(scale_factor=2), nn.Conv2d(c, c, 1)])

    def d_block(c, down):
        return Residual([nn.ReLU(), w(nn.Conv2d(c, c, 3, 1, 1)), nn.ReLU(),
                         w(nn.Conv2d(c, c, 3, 1, 1))],
                        shortcut=[w(nn.Conv2d(c, c, 1))] if down else None,
                        down=2 if down else 1)

    g = nn.Sequential(
        nn.Linear(nz, 4 * 4 * ngf), nn.Unflatten(1, (ngf, 4, 4)),
        g_block(ngf), g_block(ngf), g_block(ngf),
        nn.BatchNorm2d(ngf), nn.ReLU(), nn.Conv2d(ngf, 3, 3, 1, 1), nn.Tanh())
    d = nn.Sequential(
        Residual([w(nn.Conv2d(3, ndf, 3, 1, 1)), nn.ReLU(), w(nn.Conv2d(ndf, ndf, 3, 1, 1)),
                  AvgPool(2)],
                 shortcut=[AvgPool(2), w(nn.Conv2d(3, ndf, 1))]),
        d_block(ndf, True), d_block(ndf, False), d_block(ndf, False),
        nn.ReLU(), GlobalSumPool(), w(nn.Linear(ndf, 1)))
    return g, d


class Step:
    def __init__(self, batch, sn, device, nz=128):
        self.batch, self.nz, self.device = batch, nz, device
        self.g, self.d = (m.to(device) for m in sngan32(sn, nz))
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=2e-4, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=2e-4, betas=(0.0, 0.9))
        self.real = torch.randn(batch, 3, 32, 32, device=device).tanh()

    def __call__(self):
        fake = self.g(torch.randn(self.batch, self.nz, device=self.device))
        self.opt_d.zero_grad()
        d_loss = F.relu(1 - self.d(self.real)).mean() + F.relu(1 + self.d(fake.detach())).mean()
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        g_loss = -self.d(fake).mean()
        g_loss.backward()
        self.opt_g.step()
        return g_loss.item()  # a read-back: on cuda the step's kernels have all finished


def peak_mb(device):
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int,
                   default=int(os.environ.get("GANBOOK_THREADS") or os.cpu_count() or 1))
    p.add_argument("--no-sn", action="store_true", help="D without spectral norm")
    p.add_argument("--device", default=os.environ.get("GANBOOK_TORCH_DEVICE") or "cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    step = Step(a.batch, not a.no_sn, a.device)
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1e3)
    name = "sngan32_nosn" if a.no_sn else "sngan32"
    print(f"torch {name} median_ms={statistics.median(times):.1f} min_ms={min(times):.1f} "
          f"max_ms={max(times):.1f} peak_mb={peak_mb(a.device):.1f}")


if __name__ == "__main__":
    main()
