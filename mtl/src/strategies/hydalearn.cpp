// HydaLearn: Verboven, Chaudhary, Berrevoets, Ginis & Verbeke, "HydaLearn: Highly Dynamic
// Task Weighting for Multitask Learning with Auxiliary Tasks", Applied Intelligence 53(5),
// 2023 (arXiv 2008.11643). On every mini-batch, task k's weight follows the gain delta_k
// its gradient brings to the main task, w_i / w_j = delta_i / delta_j. See docs/hydalearn.md
// for which details follow the paper and which are our choices.
#include <algorithm>
#include <numeric>

#include "hydalearn.hpp"

namespace hyda::mtl {

HydaLearn::HydaLearn(int tasks, int main, detail::Options& options) : tasks_(tasks), main_(main) {
    exact_ = options.text("gain", "first_order", {"first_order", "exact"}) == "exact";
    held_out_ = options.text("batch", "train", {"train", "held_out"}) == "held_out";
    const std::string norm = options.text("normalize", "sum", {"sum", "one", "main"});
    normalize_ = norm == "sum" ? Normalize::sum_to_tasks : norm == "one" ? Normalize::sum_to_one : Normalize::main_is_one;
    auxiliary_ = options.text("aux", "on", {"on", "off"}) == "on";
}

Needs HydaLearn::needs() const {
    Needs n;
    n.first_order_gains = !exact_;
    n.exact_gains = exact_;
    n.held_out_gains = held_out_;
    return n;
}

void HydaLearn::do_coefficients(const StepContext& ctx, std::span<double> c) {
    // Negative gains would move the main task backwards: those tasks sit this batch out.
    for (int k = 0; k < tasks_; ++k) c[k] = (k == main_ || auxiliary_) ? std::max(ctx.gains[std::size_t(k)], 0.0) : 0.0;
    // The main task never drops out: if its own step does not help on this batch, it
    // keeps the weight of the best auxiliary task, or all the weight if none helps.
    if (c[main_] <= 0) {
        c[main_] = *std::max_element(c.begin(), c.end());
        if (c[main_] <= 0) c[main_] = 1;
    }
    double scale = 1;
    switch (normalize_) {
        case Normalize::sum_to_tasks: scale = tasks_ / std::accumulate(c.begin(), c.end(), 0.0); break;
        case Normalize::sum_to_one: scale = 1 / std::accumulate(c.begin(), c.end(), 0.0); break;
        case Normalize::main_is_one: scale = 1 / c[main_]; break;
    }
    for (double& w : c) w *= scale;
}

}  // namespace hyda::mtl
