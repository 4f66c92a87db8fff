// Random Loss Weighting (Lin et al., TMLR 2022); see rlw.hpp.
#include "rlw.hpp"

#include <algorithm>
#include <cmath>

#include "hyda/autodiff/random.hpp"
#include "softmax.hpp"

namespace hyda::mtl {
namespace {

// The option's names, in the order of RandomLossWeighting::Distribution.
const std::vector<std::string> distribution_names = {"normal", "uniform", "dirichlet", "bernoulli", "constrained_bernoulli"};

}  // namespace

RandomLossWeighting::RandomLossWeighting(detail::Options& options) : scale_(options.number("scale", 1.0)) {
    const std::string dist = options.text("dist", "normal", distribution_names);
    dist_ = Distribution(std::find(distribution_names.begin(), distribution_names.end(), dist) - distribution_names.begin());
    if (!(scale_ > 0)) throw std::invalid_argument("rlw: scale must be > 0");
}

void RandomLossWeighting::do_coefficients(const StepContext& ctx, std::span<double> c) {
    ad::Rng rng(ctx.seed);
    switch (dist_) {
        case Distribution::normal:
            for (double& x : c) x = rng.normal();
            detail::softmax(c);
            break;
        case Distribution::uniform:
            for (double& x : c) x = rng.uniform();
            detail::softmax(c);
            break;
        case Distribution::dirichlet: {  // Dir(1, ..., 1): independent Exp(1) draws, normalised
            double sum = 0;
            for (double& x : c) sum += x = -std::log(1 - rng.uniform());  // 1 - u in (0, 1]
            // All K draws 0 has probability 0, but would divide 0 by 0: equal weights then.
            for (double& x : c) x = sum > 0 ? x / sum : 1.0 / double(c.size());
            detail::softmax(c);
            break;
        }
        case Distribution::bernoulli: {
            bool any = false;
            while (!any)
                for (double& x : c) any |= (x = double(rng() >> 63)) == 1;
            break;
        }
        case Distribution::constrained_bernoulli:
            std::fill(c.begin(), c.end(), 0.0);
            c[rng.below(c.size())] = 1;
            break;
    }
    for (double& x : c) x *= scale_;
}

}  // namespace hyda::mtl
