// Geometric Loss Strategy (Chennupati et al., CVPRW 2019); see gls.hpp.
#include "gls.hpp"

#include <algorithm>
#include <cmath>

namespace hyda::mtl {

GeometricLossStrategy::GeometricLossStrategy(int tasks) : log_losses_(std::size_t(tasks)) {}

void GeometricLossStrategy::do_coefficients(const StepContext& ctx, std::span<double> c) {
    double mean_log = 0;
    int present = 0;
    for (std::size_t k = 0; k < c.size(); ++k) {
        if (!(ctx.losses[k] > 0)) continue;
        mean_log += log_losses_[k] = std::log(ctx.losses[k]);
        ++present;
    }
    mean_log /= std::max(present, 1);
    for (std::size_t k = 0; k < c.size(); ++k) c[k] = ctx.losses[k] > 0 ? std::exp(mean_log - log_losses_[k]) / present : 0.0;
}

}  // namespace hyda::mtl
