#include "gcossim.hpp"

#include <algorithm>
#include <cmath>

namespace hyda::mtl {

GradientCosineSimilarity::GradientCosineSimilarity(int main, detail::Options& options)
    : main_(main), weighted_(options.text("mode", "unweighted", {"unweighted", "weighted"}) == "weighted") {}

void GradientCosineSimilarity::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = std::size_t(ctx.tasks), m = std::size_t(main_);
    for (std::size_t k = 0; k < K; ++k) {
        if (k == m) {
            c[k] = 1;
            continue;
        }
        const double norms = std::sqrt(ctx.gram[m * K + m] * ctx.gram[k * K + k]);
        const double cos = norms > 0 ? ctx.gram[m * K + k] / norms : 0.0;
        c[k] = weighted_ ? std::max(0.0, cos) : (cos > 0 ? 1.0 : 0.0);
    }
}

}  // namespace hyda::mtl
