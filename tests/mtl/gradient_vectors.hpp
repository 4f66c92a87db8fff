#pragma once
// Explicit task gradients for the strategies' reference computations: vectors, their inner
// products, combinations and Gram matrix, written out naively.
#include <numeric>
#include <random>
#include <vector>

namespace hyda::test {

using Vec = std::vector<double>;
using Vectors = std::vector<Vec>;  // one gradient per task

inline double dot(const Vec& a, const Vec& b) { return std::inner_product(a.begin(), a.end(), b.begin(), 0.0); }

// a + s b
inline Vec plus(const Vec& a, double s, const Vec& b) {
    Vec out = a;
    for (std::size_t i = 0; i < a.size(); ++i) out[i] += s * b[i];
    return out;
}

// sum_k c_k g_k
inline Vec combine(const Vectors& g, const Vec& c) {
    Vec d(g[0].size(), 0.0);
    for (std::size_t k = 0; k < g.size(); ++k) d = plus(d, c[k], g[k]);
    return d;
}

// G_ij = <g_i, g_j>, row-major.
inline Vec gram_of(const Vectors& g) {
    Vec G;
    for (const Vec& a : g)
        for (const Vec& b : g) G.push_back(dot(a, b));
    return G;
}

// K gradients of `dim` standard normal entries.
inline Vectors random_gradients(int tasks, int dim, std::mt19937_64& rng) {
    std::normal_distribution<double> normal;
    Vectors g(static_cast<std::size_t>(tasks), Vec(static_cast<std::size_t>(dim)));
    for (Vec& v : g)
        for (double& x : v) x = normal(rng);
    return g;
}

}  // namespace hyda::test
