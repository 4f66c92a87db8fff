// MGDA (Sener & Koltun, NeurIPS 2018): the min-norm point of the gradients' hull, solved
// exactly on G; see mgda.hpp.
#include "mgda.hpp"

#include <cmath>

namespace hyda::mtl {

MGDA::MGDA(int tasks, detail::Options& options)
    : tasks_(tasks), qp_(std::size_t(tasks)), scale_(std::size_t(tasks)), gram_(std::size_t(tasks) * std::size_t(tasks)) {
    const std::string norm = options.text("normalize", "none", {"none", "l2", "loss", "loss+"});
    normalize_ = norm == "none" ? Normalize::none : norm == "l2" ? Normalize::l2 : norm == "loss" ? Normalize::loss : Normalize::loss_l2;
}

double MGDA::normalizer(const StepContext& ctx, int k) const {
    const std::size_t K = std::size_t(tasks_);
    const double norm = std::sqrt(ctx.gram[std::size_t(k) * K + std::size_t(k)]), loss = ctx.losses[std::size_t(k)];
    double n = 1;
    switch (normalize_) {
        case Normalize::none: break;
        case Normalize::l2: n = norm; break;
        case Normalize::loss: n = loss; break;
        case Normalize::loss_l2: n = loss * norm; break;
    }
    // A zero normalizer comes with a zero gradient (or loss), which no scale changes.
    return n > 0 && std::isfinite(n) ? n : 1.0;
}

void MGDA::do_coefficients(const StepContext& ctx, std::span<double> alpha) {
    const std::size_t K = std::size_t(tasks_);
    for (int k = 0; k < tasks_; ++k) scale_[std::size_t(k)] = normalizer(ctx, k);
    for (std::size_t i = 0; i < K; ++i)
        for (std::size_t j = 0; j < K; ++j) gram_[i * K + j] = ctx.gram[i * K + j] / (scale_[i] * scale_[j]);
    // min over the simplex of ||sum_k a_k g_k / n_k||^2 = a^T G' a (a factor 1/2 changes nothing).
    qp_.solve(gram_, {}, detail::SimplexQP::Region::simplex, alpha);
    // The direction sum_k a_k (g_k / n_k), as coefficients of the g_k themselves.
    for (std::size_t k = 0; k < K; ++k) alpha[k] /= scale_[k];
}

}  // namespace hyda::mtl
