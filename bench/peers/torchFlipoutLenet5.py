#!/usr/bin/env python3
"""
The peer of bench/parallelTraining.ts (issue 16): a Flipout LeNet5 training step and Monte Carlo
evaluation (50 draws x 1,000 images) in PyTorch, at 1 and 2 intra-op threads, so that the
data-parallel wasm step can be compared with a BLAS-backed framework *side by side in one sitting*
on the same machine (absolute steps/s differ between machines; only ratios are quoted).

The layers follow bayesian-torch's Conv2dFlipout / LinearFlipout (Wen et al. 2018), written out here
(bayesian-torch itself is not packaged for Debian): a factorised Normal posterior N(mu, softplus(rho)^2)
per weight and bias, one weight perturbation per step shared by the batch, decorrelated per example by
random sign flips of the layer's input and output; the loss is the batch-mean NLL plus KL / N_train
with the closed-form KL to a N(0, 1) prior, as our trainer's default. The network is ours: conv 6 5x5
SAME, max-pool, conv 16 5x5 VALID, max-pool, conv 120 5x5 VALID, dense 84, dense 10, ReLU (61,706
weights per mean). Batch 128, Adam 0.001. Random images (speed only).

Needs PyTorch (`apt-get install -y python3-torch`, Debian's 1.13 build). Prints one JSON object.

    python3 bench/peers/torchFlipoutLenet5.py [--threads 1,2] [--steps 15] [--rounds 2]
"""
import argparse
import json
import math
import os
import resource
import statistics
import time

import torch
import torch.nn.functional as F

BATCH = 128
DRAWS = 50
IMAGES = 1000
TRAIN_IMAGES = 8100


class Flipout(torch.nn.Module):
    """One Flipout layer: `kind` is 'conv' (with `padding`) or 'dense'."""

    def __init__(self, kind, shape, bias, padding=0):
        super().__init__()
        self.kind, self.padding = kind, padding
        fan_in = math.prod(shape[1:])
        self.mu = torch.nn.Parameter(torch.randn(shape) / math.sqrt(fan_in))
        self.rho = torch.nn.Parameter(torch.full(shape, -6.0))
        self.bias_mu = torch.nn.Parameter(torch.zeros(bias))
        self.bias_rho = torch.nn.Parameter(torch.full((bias,), -6.0))

    def op(self, x, weight, bias):
        if self.kind == 'conv':
            return F.conv2d(x, weight, bias, padding=self.padding)
        return F.linear(x, weight, bias)

    def forward(self, x):
        sigma, bias_sigma = F.softplus(self.rho), F.softplus(self.bias_rho)
        mean = self.op(x, self.mu, self.bias_mu)
        delta = sigma * torch.randn_like(sigma)
        bias_delta = bias_sigma * torch.randn_like(bias_sigma)
        sign_in = torch.empty_like(x).uniform_(-1, 1).sign()
        sign_out = torch.empty_like(mean).uniform_(-1, 1).sign()
        return mean + self.op(x * sign_in, delta, bias_delta) * sign_out

    def kl(self):
        total = 0.0
        for mu, rho in ((self.mu, self.rho), (self.bias_mu, self.bias_rho)):
            sigma = F.softplus(rho)
            total = total + (0.5 * (sigma**2 + mu**2) - torch.log(sigma) - 0.5).sum()
        return total


class FlipoutLenet5(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = Flipout('conv', (6, 1, 5, 5), 6, padding=2)
        self.conv2 = Flipout('conv', (16, 6, 5, 5), 16)
        self.conv3 = Flipout('conv', (120, 16, 5, 5), 120)
        self.dense1 = Flipout('dense', (84, 120), 84)
        self.dense2 = Flipout('dense', (10, 84), 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x)).flatten(1)
        return self.dense2(F.relu(self.dense1(x)))

    def kl(self):
        return sum(layer.kl() for layer in (self.conv1, self.conv2, self.conv3, self.dense1, self.dense2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', default='1,2')
    parser.add_argument('--steps', type=int, default=15)
    parser.add_argument('--rounds', type=int, default=2)
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(',')]
    torch.manual_seed(0)
    model = FlipoutLenet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    images = torch.rand(BATCH, 1, 28, 28)
    labels = torch.randint(0, 10, (BATCH,))
    heldout = torch.rand(IMAGES, 1, 28, 28)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels) + model.kl() / TRAIN_IMAGES
        loss.backward()
        optimizer.step()

    def evaluate():
        with torch.no_grad():
            return sum(F.softmax(model(heldout), dim=1) for _ in range(DRAWS)) / DRAWS

    results = {t: {'stepsPerSecond': [], 'evaluationSeconds': []} for t in threads}
    for _ in range(args.rounds):
        for t in threads:
            torch.set_num_threads(t)
            for _ in range(2):
                step()
            times = []
            for _ in range(args.steps):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
            results[t]['stepsPerSecond'].append(1 / statistics.median(times))
            start = time.perf_counter()
            evaluate()
            results[t]['evaluationSeconds'].append(time.perf_counter() - start)
    base = statistics.median(results[threads[0]]['stepsPerSecond'])
    base_eval = statistics.median(results[threads[0]]['evaluationSeconds'])
    print(json.dumps({
        'peer': 'PyTorch Flipout LeNet5 (bayesian-torch layers written out)',
        'torch': torch.__version__,
        'blas': torch.__config__.show().split('BLAS_INFO=')[-1].split(',')[0] if 'BLAS_INFO=' in torch.__config__.show() else None,
        'batch': BATCH,
        'loadAverage': os.getloadavg()[0],
        'threads': {
            str(t): {
                'stepsPerSecond': round(statistics.median(r['stepsPerSecond']), 3),
                'evaluationSeconds': round(statistics.median(r['evaluationSeconds']), 3),
                'trainingSpeedup': round(statistics.median(r['stepsPerSecond']) / base, 3),
                'evaluationSpeedup': round(base_eval / statistics.median(r['evaluationSeconds']), 3),
                'rounds': [round(v, 3) for v in r['stepsPerSecond']],
            }
            for t, r in results.items()
        },
        'peakRssMb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == '__main__':
    main()
