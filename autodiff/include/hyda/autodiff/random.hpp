#pragma once
// The project's one source of randomness.
//
// Every random choice hyda makes (initial weights, dropout masks, data splits, batch
// order, held-out batches, synthetic data, PCGrad's projection order) draws from an Rng
// and turns its bits into numbers with the transforms below. Both are ours: the C++
// standard fixes std::mt19937_64's output but not what std::*_distribution or
// std::shuffle make of it, so those differ between standard libraries. With Rng, a seed
// gives the same integers, uniforms and permutations everywhere, and the same normals on
// one platform (another math library may round std::log or std::cos differently in the
// last bit).
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <iterator>
#include <limits>
#include <numbers>
#include <span>
#include <utility>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): 64 bits of state, period 2^64, and a bijective output mix, so nearby
// seeds (seed, seed + 1) still give unrelated streams. A UniformRandomBitGenerator.
class Rng {
public:
    using result_type = std::uint64_t;
    explicit Rng(std::uint64_t seed = 0) : state_(seed) {}

    // The position in the stream: Rng(state()) continues from here (checkpoints).
    std::uint64_t state() const { return state_; }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type(0); }

    result_type operator()() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform on [0, 1): the top 53 bits of one draw, exactly representable in a double.
    double uniform() { return double((*this)() >> 11) * 0x1p-53; }

    // Uniform on {0, ..., n - 1} for n >= 1, without modulo bias: draws below 2^64 mod n
    // are rejected, so every residue is reached by the same number of draws.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t reject = (0 - n) % n;  // 2^64 mod n
        std::uint64_t r = (*this)();
        while (r < reject) r = (*this)();
        return r % n;
    }

    // Standard normal by Box & Muller (1958), from two uniforms (the sine half is unused).
    double normal() {
        const double radius = std::sqrt(-2 * std::log(1 - uniform()));  // 1 - u in (0, 1]
        return radius * std::cos(2 * std::numbers::pi * uniform());
    }

private:
    std::uint64_t state_;
};

// The logarithm of a Gamma(shape, 1) draw, for shape > 0. In logs because a small shape's
// draws underflow: Gamma(a) = Gamma(a + 1) U^(1/a) is below the smallest double when
// U < 2^(-1074 a), which is common for a = 0.01. shape == 1 is Exp(1), by inversion from
// one uniform; any other shape >= 1 by Marsaglia & Tsang, "A simple method for generating
// gamma variables", ACM TOMS 26(3), 2000 (a normal x, v = (1 + c x)^3, accepted when
// log u < x^2 / 2 + d - d v + d log v, d = shape - 1/3, c = 1 / sqrt(9 d)); shape < 1 by
// their boost, Gamma(a + 1) U^(1/a).
inline double log_gamma_draw(Rng& rng, double shape) {
    if (shape == 1) return std::log(-std::log(1 - rng.uniform()));  // 1 - u in (0, 1]
    if (shape < 1) {
        const double boosted = log_gamma_draw(rng, shape + 1);
        return boosted + std::log(1 - rng.uniform()) / shape;
    }
    const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    for (;;) {
        const double x = rng.normal(), cube_root = 1 + c * x;
        if (cube_root <= 0) continue;
        const double log_v = 3 * std::log(cube_root);
        if (std::log(rng.uniform()) < x * x / 2 + d - d * std::exp(log_v) + d * log_v) return std::log(d) + log_v;
    }
}

// A draw of the symmetric Dirichlet(a, ..., a) into `shares` (a > 0, at least one share):
// Gamma(a) draws divided by their sum, computed from their logarithms (scaled by the
// largest first), so that no share is 0 / 0 however small a is. All draws 0, possible only
// for a = 1 when every uniform is 0, gives equal shares.
inline void dirichlet(std::span<double> shares, double a, Rng& rng) {
    double top = -std::numeric_limits<double>::infinity();
    for (double& s : shares) top = std::max(top, s = log_gamma_draw(rng, a));
    if (top == -std::numeric_limits<double>::infinity()) {
        std::fill(shares.begin(), shares.end(), 1.0 / double(shares.size()));
        return;
    }
    double sum = 0;
    for (double& s : shares) sum += s = std::exp(s - top);
    for (double& s : shares) s /= sum;
}

// Fisher-Yates (Durstenfeld's in-place form): every permutation equally likely.
template <class RandomIt>
void shuffle(RandomIt first, RandomIt last, Rng& rng) {
    for (auto n = last - first; n > 1; --n) {
        using std::swap;
        swap(first[n - 1], first[std::ptrdiff_t(rng.below(std::uint64_t(n)))]);
    }
}

}  // namespace hyda::ad
#pragma GCC visibility pop
