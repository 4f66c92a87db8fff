// IMTL (Liu et al., ICLR 2021): gradient balance in closed form on G, learned loss
// scales, or both; see imtl.hpp.
#include "imtl.hpp"

#include <cmath>
#include <stdexcept>

namespace hyda::mtl {

IMTL::IMTL(int tasks, detail::Options& options)
    : lr_(options.number("lr", 0.01)), log_scale_(std::size_t(tasks), 0.0), scale_(std::size_t(tasks), 1.0), gram_(std::size_t(tasks) * std::size_t(tasks)),
      norms_(std::size_t(tasks)), cosines_(std::size_t(tasks) * std::size_t(tasks)), pinv_one_(std::size_t(tasks)), eigen_(std::size_t(tasks)) {
    const std::string mode = options.text("mode", "hybrid", {"hybrid", "gradient", "loss"});
    mode_ = mode == "hybrid" ? Mode::hybrid : mode == "gradient" ? Mode::gradient : Mode::loss;
    ub_ = options.text("ub", "off", {"off", "on"}) == "on";
    if (!(lr_ >= 0)) throw std::invalid_argument("imtl: lr must be >= 0");
}

Needs IMTL::needs() const {
    Needs n;
    n.feature_gram = ub_ && mode_ != Mode::loss;
    return n;
}

void IMTL::balance(std::span<double> a) {
    // G a = t n with n_k = ||g_k||: with C = N^-1 G N^-1 (the cosines), a = t N^-1 C^-1 1.
    const std::size_t K = a.size();
    for (std::size_t k = 0; k < K; ++k) norms_[k] = std::sqrt(std::max(gram_[k * K + k], 0.0));
    for (std::size_t i = 0; i < K; ++i)  // a zero gradient has no direction: a zero row of C
        for (std::size_t j = 0; j < K; ++j) cosines_[i * K + j] = norms_[i] > 0 && norms_[j] > 0 ? gram_[i * K + j] / (norms_[i] * norms_[j]) : 0.0;
    eigen_.decompose(cosines_);
    const std::span<const double> lambda = eigen_.values(), V = eigen_.vectors();
    std::fill(pinv_one_.begin(), pinv_one_.end(), 0.0);
    for (std::size_t j = 0, rank = eigen_.rank(); j < rank; ++j) {  // C^+ 1 = sum_j v_j (v_j . 1) / lambda_j
        double v1 = 0;
        for (std::size_t k = 0; k < K; ++k) v1 += V[k * K + j];
        for (std::size_t k = 0; k < K; ++k) pinv_one_[k] += V[k * K + j] * v1 / lambda[j];
    }
    double sum = 0, size = 0;
    for (std::size_t k = 0; k < K; ++k) {
        a[k] = norms_[k] > 0 ? pinv_one_[k] / norms_[k] : 0.0;
        sum += a[k], size += std::abs(a[k]);
    }
    const bool defined = std::abs(sum) > 1e-12 * size;
    for (double& x : a) x = defined ? x / sum : 0.0;
}

void IMTL::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size();
    for (std::size_t k = 0; k < K; ++k) scale_[k] = mode_ == Mode::gradient ? 1.0 : std::exp(log_scale_[k]);
    if (mode_ == Mode::loss) {
        std::copy(scale_.begin(), scale_.end(), c.begin());
    } else {
        const std::span<const double> G = ub_ ? ctx.feature_gram : ctx.gram;
        for (std::size_t i = 0; i < K; ++i)
            for (std::size_t j = 0; j < K; ++j) gram_[i * K + j] = scale_[i] * G[i * K + j] * scale_[j];
        balance(c);
        for (std::size_t k = 0; k < K; ++k) c[k] *= scale_[k];
    }
    if (mode_ != Mode::gradient)
        for (std::size_t k = 0; k < K; ++k) log_scale_[k] -= lr_ * (scale_[k] * ctx.losses[k] - 1);
}

void IMTL::do_head_weights(std::span<const double>, std::span<double> h) const { std::copy(scale_.begin(), scale_.end(), h.begin()); }

void IMTL::visit_state(StateVisitor& v) {
    v("log_scale", log_scale_);
}

}  // namespace hyda::mtl
