"""PyTorch side of `ganbook bench steps --torch PYTHON`: the same GAN training steps as
src/bench/steps.rs, timed one at a time on request so that ganbook can alternate the two.

Protocol (stdin/stdout, one line each): ganbook writes a network name; this script runs one
training step of it (building it on first use) and answers `ms=<step time> peak_mb=<peak RSS
since the last reset>`. Run it alone to print medians: `python benches/torch_steps.py`.

Environment: GANBOOK_THREADS (CPU threads), GANBOOK_TORCH_DEVICE (cpu or cuda; on cuda every
step ends with torch.cuda.synchronize() and peak_mb is torch.cuda.max_memory_allocated),
GANBOOK_TORCH_COMPILE=1 (torch.compile both networks), GANBOOK_BATCH (every network's batch).
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def dcgan(size):
    """DCGAN G and D for 32x32 (top width 256) or 64x64 (512: the PyTorch DCGAN tutorial's,
    ngf = ndf = 64), as benches/dcgan32.rhai and benches/dcgan64.rhai build them."""
    top = 64 * size // 8
    g = [nn.Unflatten(1, (100, 1, 1)),
         nn.ConvTranspose2d(100, top, 4, 1, 0, bias=False), nn.BatchNorm2d(top), nn.ReLU()]
    c = top
    while c > 64:
        g += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
        c //= 2
    g += [nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh()]
    d = [nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
    while c < top:
        d += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c * 2), nn.LeakyReLU(0.2)]
        c *= 2
    d += [nn.Conv2d(top, 1, 4, 1, 0, bias=False), nn.Flatten()]
    return nn.Sequential(*g), nn.Sequential(*d), 64, (3, size, size), 100, "logits"


def dcgan32():
    return dcgan(32)


def dcgan64():
    return dcgan(64)


def cnn128():
    # Seed 002's network: k8 s2 convolutions from a 3x11x11 seed, sigmoid outputs, BCE.
    g = nn.Sequential(
        nn.Linear(100, 3 * 11 * 11), nn.LeakyReLU(0.2), nn.Unflatten(1, (3, 11, 11)),
        nn.ConvTranspose2d(3, 256, 8, 2), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(256, 256, 8, 2), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(256, 3, 8, 2, padding=1), nn.BatchNorm2d(3), nn.Sigmoid())
    d = nn.Sequential(
        nn.Conv2d(3, 256, 8, 2), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.Conv2d(256, 256, 8, 2), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.Conv2d(256, 3, 8, 2), nn.LeakyReLU(0.2), nn.Flatten(),
        nn.Linear(300, 1), nn.Sigmoid())
    return g, d, 16, (3, 128, 128), 100, "probs"


def mlp2d():
    g = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                      nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
    d = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2),
                      nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))
    return g, d, 256, (2,), 2, "logits"


class Residual(nn.Module):
    """ganbook's residual(body, #{ shortcut, up, down }): pool(body(up(x)) + shortcut(up(x)))."""

    def __init__(self, body, shortcut=None, down=1):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Sequential(*shortcut) if shortcut else None
        self.down = down

    def forward(self, x):
        out = self.body(x) + (x if self.shortcut is None else self.shortcut(x))
        return F.avg_pool2d(out, self.down) if self.down > 1 else out


class GlobalSumPool(nn.Module):
    """ganbook's global_sum_pool(): [N, C, H, W] -> [N, C]."""

    def forward(self, x):
        return x.sum(dim=(2, 3))


def sngan32(sn=True, nz=128, ngf=256, ndf=128):
    """Mimicry's SNGAN-32 (Miyato et al. 2018), as stdlib models::sngan_g(128, 32, 3) and
    sngan_d(32, 3) build it (benches/sngan32.rhai): hinge loss, spectral norm on all of D."""
    w = nn.utils.parametrizations.spectral_norm if sn else (lambda m: m)

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
                  nn.AvgPool2d(2)],
                 shortcut=[nn.AvgPool2d(2), w(nn.Conv2d(3, ndf, 1))]),
        d_block(ndf, True), d_block(ndf, False), d_block(ndf, False),
        nn.ReLU(), GlobalSumPool(), w(nn.Linear(ndf, 1)))
    return g, d, 64, (3, 32, 32), nz, "hinge"


NETWORKS = {"dcgan32": dcgan32, "dcgan64": dcgan64, "cnn128": cnn128, "mlp2d": mlp2d,
            "sngan32": sngan32, "sngan32_nosn": lambda: sngan32(sn=False)}


DEVICE = os.environ.get("GANBOOK_TORCH_DEVICE", "cpu") or "cpu"
COMPILE = os.environ.get("GANBOOK_TORCH_COMPILE") == "1"
BATCH = int(os.environ.get("GANBOOK_BATCH") or 0)


class Step:
    def __init__(self, name):
        self.g, self.d, self.batch, self.shape, self.nz, kind = NETWORKS[name]()
        self.batch = BATCH or self.batch
        self.g, self.d = self.g.to(DEVICE), self.d.to(DEVICE)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.loss = {"logits": F.binary_cross_entropy_with_logits,
                     "probs": F.binary_cross_entropy, "hinge": None}[kind]
        self.real = torch.randn(self.batch, *self.shape, device=DEVICE).tanh()
        if kind == "probs":
            self.real = (self.real + 1) / 2
        if COMPILE:
            self.g, self.d = torch.compile(self.g), torch.compile(self.d)

    def __call__(self):
        ones = torch.ones(self.batch, 1, device=DEVICE)
        zeros = torch.zeros(self.batch, 1, device=DEVICE)
        fake = self.g(torch.randn(self.batch, self.nz, device=DEVICE))
        self.opt_d.zero_grad()
        if self.loss is None:  # the hinge loss
            d_loss = F.relu(1 - self.d(self.real)).mean() + F.relu(1 + self.d(fake.detach())).mean()
        else:
            d_loss = self.loss(self.d(self.real), ones) + self.loss(self.d(fake.detach()), zeros)
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        g_loss = -self.d(fake).mean() if self.loss is None else self.loss(self.d(fake), ones)
        g_loss.backward()
        self.opt_g.step()
        return g_loss.item()  # a read-back: on cuda the step's kernels have all finished


def peak_mb():
    if DEVICE == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main():
    torch.set_num_threads(int(os.environ.get("GANBOOK_THREADS", os.cpu_count() or 1)))
    torch.manual_seed(0)
    steps = {}
    if "--serve" in sys.argv:
        print(f"ready torch={torch.__version__} threads={torch.get_num_threads()} device={DEVICE}"
              f" compile={COMPILE}", flush=True)
        for line in sys.stdin:
            name = line.strip()
            if name not in steps:
                reset_peak()
                steps[name] = Step(name)
            t = time.perf_counter()
            steps[name]()
            ms = (time.perf_counter() - t) * 1e3
            print(f"ms={ms:.3f} peak_mb={peak_mb():.1f}", flush=True)
        return
    for name in NETWORKS:
        reset_peak()
        step = Step(name)
        times = []
        for i in range(12):
            t = time.perf_counter()
            step()
            if i >= 2:
                times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        print(f"torch {name} median_ms={times[len(times) // 2]:.1f} min_ms={times[0]:.1f} "
              f"max_ms={times[-1]:.1f} peak_mb={peak_mb():.1f}")


if __name__ == "__main__":
    main()
