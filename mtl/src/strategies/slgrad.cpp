// SLGrad: Grégoire, Chaudhary & Verboven, "Sample-Level Weighting for Multi-Task Learning
// with Auxiliary Tasks", Applied Intelligence, 2024 (doi:10.1007/s10489-024-05300-9,
// arXiv 2306.04519; the authors' code: github.com/vub-dl/SLGrad). Every sample of every
// task, the main one included, is weighted by how much its own gradient helps the main
// task on held-out (meta-validation) data, to first order its inner product with the main
// task's held-out gradient g_ref:
//     w_ki = max(0, <grad l_ki, g_ref>) / sum_{t,j} max(0, <grad l_tj, g_ref>)
// so samples that pull against the main task drop out, and the shared parameters move
// along sum_{k,i} w_ki grad l_ki. Tasks keep coefficient 1: the weighting lives in the
// per-sample seeds. docs/baselines.md says which details are the paper's and which ours.
#include "slgrad.hpp"

#include <algorithm>

namespace hyda::mtl {

SLGrad::SLGrad(detail::Options& options) {
    cosine_ = options.text("score", "dot", {"dot", "cosine"}) == "cosine";
}

Needs SLGrad::needs() const {
    Needs n;
    n.sample_weights = true;
    return n;
}

void SLGrad::do_coefficients(const StepContext&, std::span<double> c) { std::fill(c.begin(), c.end(), 1.0); }

void SLGrad::do_sample_weights(const SampleContext& ctx, std::span<double> w) {
    double total = 0;
    for (std::size_t at = 0; at < w.size(); ++at) {
        const double norms = ctx.norms[at] * ctx.ref_norm;
        const double score = !cosine_ ? ctx.dots[at] : norms > 0 ? ctx.dots[at] / norms : 0.0;
        w[at] = std::max(score, 0.0);
        total += w[at];
    }
    // If no sample helps the main task, none moves the model (as in the authors' code).
    if (total > 0)
        for (double& v : w) v /= total;
}

}  // namespace hyda::mtl
