// GradVac (Wang et al., ICLR 2021) in coefficient space, whole trunk or per layer; see
// gradvac.hpp.
#include "gradvac.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gram.hpp"
#include "hyda/autodiff/random.hpp"

namespace hyda::mtl {

GradVac::GradVac(int tasks, detail::Options& options)
    : tasks_(tasks), vaccinated_(std::size_t(tasks)), inner_(std::size_t(tasks)), orders_(std::size_t(tasks) * std::size_t(tasks - 1)) {
    per_layer_ = options.text("granularity", "whole", {"whole", "layer"}) == "layer";
    beta_ = options.number("beta", 0.01);
    if (!(beta_ >= 0 && beta_ <= 1)) throw std::invalid_argument("gradvac: beta must be in [0, 1]");
    if (!per_layer_) targets_.assign(std::size_t(tasks) * std::size_t(tasks), 0.0);
}

void GradVac::draw_orders(std::uint64_t seed) {
    const std::size_t K = std::size_t(tasks_);
    ad::Rng rng(seed);
    for (std::size_t i = 0; i < K; ++i) {
        const auto first = orders_.begin() + std::ptrdiff_t(i * (K - 1));
        for (std::size_t j = 0, at = 0; j < K; ++j)
            if (j != i) first[std::ptrdiff_t(at++)] = j;
        ad::shuffle(first, first + std::ptrdiff_t(K - 1), rng);
    }
}

void GradVac::vaccinate(std::span<const double> gram, std::span<double> targets, std::span<double> out) {
    const std::size_t K = std::size_t(tasks_);
    std::fill(out.begin(), out.end(), 0.0);
    for (std::size_t i = 0; i < K; ++i) {
        std::fill(vaccinated_.begin(), vaccinated_.end(), 0.0);
        vaccinated_[i] = 1;
        const auto row_i = detail::gram_row(gram, K, i);
        std::copy(row_i.begin(), row_i.end(), inner_.begin());
        for (std::size_t at = 0; at < K - 1; ++at) {
            const std::size_t j = orders_[i * (K - 1) + at];
            const double norm2_i = detail::dot(vaccinated_, inner_), norm2_j = gram[j * K + j];
            if (!(norm2_i > 0 && norm2_j > 0)) continue;  // no cosine
            const double phi = std::clamp(inner_[j] / std::sqrt(norm2_i * norm2_j), -1.0, 1.0);
            double& target = targets[i * K + j];
            if (phi < target && target < 1) {
                const double sin_target = std::sqrt(1 - target * target);
                const double w = std::sqrt(norm2_i) * (target * std::sqrt(1 - phi * phi) - phi * sin_target) / (std::sqrt(norm2_j) * sin_target);
                vaccinated_[j] += w;
                const auto row_j = detail::gram_row(gram, K, j);
                for (std::size_t k = 0; k < K; ++k) inner_[k] += w * row_j[k];
            }
            target = (1 - beta_) * target + beta_ * phi;
        }
        for (std::size_t k = 0; k < K; ++k) out[k] += vaccinated_[k];
    }
}

void GradVac::do_coefficients(const StepContext& ctx, std::span<double> c) {
    draw_orders(ctx.seed);
    vaccinate(ctx.gram, targets_, c);
}

void GradVac::do_layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) {
    const std::size_t K = std::size_t(tasks_), L = std::size_t(ctx.layers);
    if (targets_.empty()) targets_.assign(L * K * K, 0.0);  // the first step: one set of targets per layer
    if (targets_.size() != L * K * K)
        throw std::invalid_argument("gradvac: StepContext with " + std::to_string(L) + " layers, earlier steps had " + std::to_string(targets_.size() / (K * K)));
    draw_orders(ctx.seed);
    std::fill(c.begin(), c.end(), 0.0);
    for (std::size_t l = 0; l < L; ++l) {
        const std::span<double> out = per_layer.subspan(l * K, K);
        vaccinate(ctx.layer_grams.subspan(l * K * K, K * K), std::span<double>(targets_).subspan(l * K * K, K * K), out);
        for (std::size_t k = 0; k < K; ++k) c[k] += out[k] / double(L);
    }
}

void GradVac::visit_state(StateVisitor& v) {
    // Per layer, sized at the first step; else tasks x tasks from the start.
    if (per_layer_) {
        v.resizable("targets", targets_);
    } else {
        v("targets", targets_);
    }
}

}  // namespace hyda::mtl
