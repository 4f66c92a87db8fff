// Aligned-MTL (Senushkin et al., CVPR 2023): the gradients' Procrustes alignment through
// the eigen-decomposition of G; see alignedmtl.hpp.
#include "alignedmtl.hpp"

#include <cmath>

namespace hyda::mtl {

AlignedMTL::AlignedMTL(int tasks, detail::Options& options)
    : weights_(options.per_task("weights", std::size_t(tasks), 1.0)), eigen_(std::size_t(tasks)), projected_(std::size_t(tasks)) {
    const std::string scale = options.text("scale", "min", {"min", "median", "rmse"});
    scale_ = scale == "min" ? Scale::min : scale == "median" ? Scale::median : Scale::rmse;
    ub_ = options.text("ub", "off", {"off", "on"}) == "on";
}

Needs AlignedMTL::needs() const {
    Needs n;
    n.feature_gram = ub_;
    return n;
}

void AlignedMTL::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size();
    eigen_.decompose(ub_ ? ctx.feature_gram : ctx.gram);
    const std::span<const double> lambda = eigen_.values(), V = eigen_.vectors();
    const std::size_t r = eigen_.rank();
    if (r == 0) {
        std::copy(weights_.begin(), weights_.end(), c.begin());
        return;
    }
    double sigma2 = lambda[r - 1];  // the eigenvalues come largest first
    if (scale_ == Scale::median) sigma2 = lambda[r / 2];  // the lower median of the r retained
    if (scale_ == Scale::rmse) {
        sigma2 = 0;
        for (std::size_t j = 0; j < r; ++j) sigma2 += lambda[j] / double(r);
    }
    // c = sigma V_r Lambda_r^(-1/2) V_r^T w.
    for (std::size_t j = 0; j < r; ++j) {
        double vw = 0;
        for (std::size_t k = 0; k < K; ++k) vw += V[k * K + j] * weights_[k];
        projected_[j] = std::sqrt(sigma2 / lambda[j]) * vw;
    }
    for (std::size_t k = 0; k < K; ++k) {
        double sum = 0;
        for (std::size_t j = 0; j < r; ++j) sum += V[k * K + j] * projected_[j];
        c[k] = sum;
    }
}

}  // namespace hyda::mtl
