// Smooth Tchebycheff scalarization (Lin et al., ICML 2024), after the authors' multi-task
// code; see stch.hpp.
#include "stch.hpp"

#include <algorithm>
#include <cmath>

#include "softmax.hpp"

namespace hyda::mtl {
namespace {

int warmup_option(detail::Options& options) {
    const double n = options.number("warmup", 4);
    if (!(n >= 0 && n <= 1e9) || n != std::floor(n)) throw std::invalid_argument("stch: warmup must be an integer >= 0");
    return int(n);
}

std::vector<double> preference_option(int tasks, detail::Options& options) {
    std::vector<double> p = options.numbers("preference");
    if (p.empty()) return std::vector<double>(std::size_t(tasks), 1.0);
    if (int(p.size()) != tasks) throw std::invalid_argument("stch: preference= needs " + std::to_string(tasks) + " comma-separated values, got " + std::to_string(p.size()));
    for (double x : p)
        if (!(x > 0)) throw std::invalid_argument("stch: every preference must be > 0");
    return p;
}

}  // namespace

SmoothTchebycheff::SmoothTchebycheff(int tasks, detail::Options& options)
    : mu_(options.number("mu", 1.0)),
      warmup_(warmup_option(options)),
      preference_(preference_option(tasks, options)),
      nadir_sum_(std::size_t(tasks), 0.0),
      nadir_count_(std::size_t(tasks), 0.0),
      nadir_(std::size_t(tasks), 1.0),
      scaled_(std::size_t(tasks)) {
    if (!(mu_ > 0)) throw std::invalid_argument("stch: mu must be > 0");
}

void SmoothTchebycheff::do_coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = c.size();
    if (ctx.epoch <= warmup_) {  // the sum of log-losses; the last warm-up epoch measures n
        for (std::size_t k = 0; k < K; ++k) {
            const double L = ctx.losses[k];
            c[k] = L > 0 ? 1 / L : 0.0;
            if (ctx.epoch == warmup_ && L > 0) nadir_sum_[k] += L, nadir_count_[k] += 1;
        }
        return;
    }
    if (!have_nadir_) {
        for (std::size_t k = 0; k < K; ++k) nadir_[k] = nadir_count_[k] > 0 ? nadir_sum_[k] / nadir_count_[k] : 1.0;
        have_nadir_ = true;
    }
    // The softmax over the tasks with a positive loss: the others get exp(-inf) = 0.
    bool any = false;
    for (std::size_t k = 0; k < K; ++k) {
        const bool present = ctx.losses[k] > 0;
        scaled_[k] = present ? preference_[k] * (std::log(ctx.losses[k]) - std::log(nadir_[k])) / mu_ : -INFINITY;
        any |= present;
    }
    if (!any) {
        std::fill(c.begin(), c.end(), 0.0);
        return;
    }
    detail::softmax(scaled_);
    for (std::size_t k = 0; k < K; ++k) c[k] = ctx.losses[k] > 0 ? double(K) * scaled_[k] * preference_[k] / ctx.losses[k] : 0.0;
}

void SmoothTchebycheff::visit_state(StateVisitor& v) {
    v("have_nadir", have_nadir_);
    v("nadir_sum", nadir_sum_);
    v("nadir_count", nadir_count_);
    v("nadir", nadir_);
}

}  // namespace hyda::mtl
