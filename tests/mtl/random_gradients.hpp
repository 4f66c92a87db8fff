#pragma once
// Random task gradients for the Gram-matrix strategies' property tests: K gradients in
// `dim` dimensions spanning `rank` of them (rank < K: dependent gradients), each scaled by
// 10^e, e uniform in [-spread, spread]; their Gram matrix G_ij = <g_i, g_j>.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "gradient_vectors.hpp"
#include "hyda/autodiff/random.hpp"

namespace hyda::test {

using Gradients = Vectors;

inline Gradients random_gradients(int K, int dim, int rank, double spread, ad::Rng& rng) {
    Gradients basis(static_cast<std::size_t>(rank), std::vector<double>(static_cast<std::size_t>(dim)));
    for (auto& v : basis)
        for (double& x : v) x = rng.normal();
    Gradients g(static_cast<std::size_t>(K), std::vector<double>(static_cast<std::size_t>(dim), 0.0));
    for (auto& row : g) {
        for (const auto& v : basis) {
            const double c = rng.normal();
            for (int d = 0; d < dim; ++d) row[std::size_t(d)] += c * v[std::size_t(d)];
        }
        const double s = std::pow(10.0, spread * (2 * rng.uniform() - 1));
        for (double& x : row) x *= s;
    }
    return g;
}

// The alpha-fair system (G + ridge diag(G)) w = w^(-1/alpha) (Nash-MTL at alpha = 1,
// FairGrad): max_k |w_k^(1/alpha) ((G + ridge diag(G)) w)_k - 1| relative to
// w_k^(1/alpha) sum_j |G_kj w_j| + 1, the size of its terms (a large w_k makes (G w)_k a
// small difference of large terms), over the tasks with a gradient.
inline double fair_residual(const std::vector<double>& G, double ridge, double alpha, const std::vector<double>& w) {
    const std::size_t K = w.size();
    double worst = 0;
    for (std::size_t i = 0; i < K; ++i) {
        if (!(G[i * K + i] > 0)) continue;
        double Gw = ridge * G[i * K + i] * w[i], size = std::abs(Gw);
        for (std::size_t j = 0; j < K; ++j) Gw += G[i * K + j] * w[j], size += std::abs(G[i * K + j] * w[j]);
        const double we = std::pow(w[i], 1 / alpha);
        worst = std::max(worst, std::abs(we * Gw - 1) / (we * size + 1));
    }
    return worst;
}

}  // namespace hyda::test
