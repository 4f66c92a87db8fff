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
#include <iterator>
#include <numbers>
#include <utility>

namespace hyda::ad {

// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): 64 bits of state, period 2^64, and a bijective output mix, so nearby
// seeds (seed, seed + 1) still give unrelated streams. A UniformRandomBitGenerator.
class Rng {
public:
    using result_type = std::uint64_t;
    explicit Rng(std::uint64_t seed = 0) : state_(seed) {}

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

// Fisher-Yates (Durstenfeld's in-place form): every permutation equally likely.
template <class RandomIt>
void shuffle(RandomIt first, RandomIt last, Rng& rng) {
    for (auto n = last - first; n > 1; --n) {
        using std::swap;
        swap(first[n - 1], first[std::ptrdiff_t(rng.below(std::uint64_t(n)))]);
    }
}

}  // namespace hyda::ad
