#!/usr/bin/env python3
"""A second implementation, in another language, of the draws behind the fingerprints
of tests/mtl/reproducibility_test.cpp: SplitMix64, Rng::uniform and Rng::below,
Fisher-Yates, Dataset::split, epoch_order and the three ModelSpec::init schemes, as
random.hpp, init.hpp, dataset.hpp and model.hpp describe them (NumPy only for float32
rounding). It prints the test's FNV-1a hashes, which shows that they follow from the
documented algorithms, not from one compiler or standard library. (The synthetic-data
fingerprint is left out: it goes through std::log and std::cos.)

Usage: python3 experiments/fingerprints.py
"""
import math

import numpy as np

MASK = 2**64 - 1


class Rng:
    """SplitMix64 (Steele, Lea & Flood 2014)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def __call__(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self() >> 11) * 2.0**-53

    def below(self, n):
        reject = (2**64 - n) % n
        r = self()
        while r < reject:
            r = self()
        return r % n


def shuffle(items, rng):
    for n in range(len(items), 1, -1):
        j = rng.below(n)
        items[n - 1], items[j] = items[j], items[n - 1]


class Fnv1a:
    def __init__(self):
        self.h = 0xCBF29CE484222325

    def add(self, value):
        value &= MASK
        for i in range(8):
            self.h = ((self.h ^ ((value >> (8 * i)) & 0xFF)) * 0x100000001B3) & MASK

    def add_rounded(self, x):
        scaled = float(x) * 1e6
        self.add(int(math.copysign(math.floor(abs(scaled) + 0.5), scaled)))  # llround


def split_fingerprint():
    order = list(range(1000))
    shuffle(order, Rng(42))
    a, ab = round(0.6 * 1000), round(0.8 * 1000)
    f = Fnv1a()
    for part in (order[:a], order[a:ab], order[ab:]):
        f.add(len(part))
        for r in part:
            f.add(r)
    return f.h


def epoch_order_fingerprint():
    f = Fnv1a()
    for epoch in range(3):
        order = list(range(1000))
        shuffle(order, Rng(Rng(11)() + epoch))
        for r in order:
            f.add(r)
    return f.h


def init_fingerprint(init):
    # small_spec of the test: 16 inputs, trunk {64, 64}; heads main, related (hidden
    # layer of 8), noise; layers in parameter order: (fan_in, fan_out, output layer).
    layers = [(16, 64, False), (64, 64, False), (64, 1, True), (64, 8, False), (8, 1, True), (64, 1, True)]
    rng = Rng(7)
    f = Fnv1a()

    def draw(size, bound):
        return [np.float32(bound * (2 * rng.uniform() - 1)) for _ in range(size)]

    for fan_in, fan_out, output in layers:
        bias = [0.0] * fan_out
        if init == "he_xavier":
            weight = draw(fan_in * fan_out, math.sqrt(6 / (fan_in + fan_out)) if output else math.sqrt(6 / fan_in))
        elif init == "xavier":
            weight = draw(fan_in * fan_out, math.sqrt(6 / (fan_in + fan_out)))
        else:  # fan_in_uniform: the weight, then the bias
            weight = draw(fan_in * fan_out, 1 / math.sqrt(fan_in))
            bias = draw(fan_out, 1 / math.sqrt(fan_in))
        for x in weight + bias:
            f.add_rounded(x)
    return f.h


if __name__ == "__main__":
    print(f"split           {split_fingerprint():016x}")
    print(f"epoch order     {epoch_order_fingerprint():016x}")
    for init in ("he_xavier", "fan_in_uniform", "xavier"):
        print(f"init {init:<14} {init_fingerprint(init):016x}")
