"""PyTorch's side of `ganbook bench spectral_norm`: the DCGAN-32 training step of
benches/dcgan32.rhai (batch 64, Adam 2e-4) with D's four convolutions plain and under
torch.nn.utils.parametrizations.spectral_norm, alternating; prints the median ms of each and
spectral norm's share of the step.  Usage: python benches/torch_spectral_norm.py [STEPS] [THREADS]
"""
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)


def make(sn):
    w = spectral_norm if sn else (lambda m: m)
    G = nn.Sequential(
        nn.Unflatten(1, (100, 1, 1)),
        nn.ConvTranspose2d(100, 256, 4, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
        nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(
        w(nn.Conv2d(3, 64, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2),
        w(nn.Conv2d(64, 128, 4, 2, 1, bias=False)), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        w(nn.Conv2d(128, 256, 4, 2, 1, bias=False)), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        w(nn.Conv2d(256, 1, 4, bias=False)), nn.Flatten())
    og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.randn(64, 3, 32, 32).tanh()
    bce = nn.BCEWithLogitsLoss()

    def step():
        fake = G(torch.randn(64, 100))
        d_loss = bce(D(real), torch.ones(64, 1)) + bce(D(fake.detach()), torch.zeros(64, 1))
        od.zero_grad(); d_loss.backward(); od.step()
        g_loss = bce(D(fake), torch.ones(64, 1))
        og.zero_grad(); g_loss.backward(); og.step()
    return step


runs = [make(False), make(True)]
for r in runs:
    r()
times = [[], []]
for _ in range(steps):
    for k, r in enumerate(runs):
        t = time.perf_counter(); r(); times[k].append((time.perf_counter() - t) * 1e3)
plain, sn = (statistics.median(t) for t in times)
print(f"torch spectral_norm dcgan32: plain {plain:.1f} ms, sn {sn:.1f} ms, "
      f"ratio {sn / plain:.3f}, share {(sn - plain) / sn:.3f}")
