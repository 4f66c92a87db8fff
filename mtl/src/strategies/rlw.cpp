// Random Loss Weighting (Lin et al., TMLR 2022); see rlw.hpp.
#include "rlw.hpp"

#include <algorithm>

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
        case Distribution::dirichlet:
            ad::dirichlet(c, 1.0, rng);
            detail::softmax(c);
            break;
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
