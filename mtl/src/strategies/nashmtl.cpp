// Nash-MTL (Navon et al., ICML 2022): G a = 1 / a on the normalised Gram matrix, the
// shared step clipped; see nashmtl.hpp.
#include "nashmtl.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gram.hpp"

namespace hyda::mtl {

NashMTL::NashMTL(int tasks, detail::Options& options)
    : solver_(std::size_t(tasks)), alpha_(std::size_t(tasks), 1.0), normalized_(std::size_t(tasks) * std::size_t(tasks)), Ga_(std::size_t(tasks)) {
    const double every = options.number("update_weights_every", 1);
    if (!(every >= 1) || every != std::floor(every) || every > 1e15) throw std::invalid_argument("nashmtl: update_weights_every must be a positive integer");
    update_every_ = (long long)every;
    max_norm_ = options.number("max_norm", 1.0);
    if (!(max_norm_ >= 0)) throw std::invalid_argument("nashmtl: max_norm must be >= 0 (0: no clipping)");
}

void NashMTL::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size();
    if (!solved_ || ctx.step % update_every_ == 0) {
        double norm2 = 0;
        for (double x : ctx.gram) norm2 += x * x;
        const double norm = std::sqrt(norm2);
        if (norm > 0 && std::isfinite(norm)) {
            for (std::size_t e = 0; e < K * K; ++e) normalized_[e] = ctx.gram[e] / norm;
            solver_.solve(normalized_, 1.0, alpha_);  // a task with a zero gradient keeps its a_k
            solved_ = true;
        }
    }
    const double clip = detail::clip_factor(ctx.gram, alpha_, Ga_, max_norm_);
    for (std::size_t k = 0; k < K; ++k) c[k] = clip * alpha_[k];
}

void NashMTL::do_head_weights(std::span<const double>, std::span<double> h) const { std::copy(alpha_.begin(), alpha_.end(), h.begin()); }

void NashMTL::visit_state(StateVisitor& v) {
    v("solved", solved_);
    v("alpha", alpha_);
}

}  // namespace hyda::mtl
