// UPGrad and DualProj (Quinton & Rey, 2024): projections onto the dual cone of the task
// gradients, exact QPs on G; see upgrad.hpp.
#include "upgrad.hpp"

#include <algorithm>

#include "gram.hpp"

namespace hyda::mtl {
namespace {

// v = argmin_{v >= u} v^T G v into v: with a = v - u >= 0 the objective is, up to a
// constant and a factor 2, 0.5 a^T G a + (G u)^T a. b, a: scratch of size K.
void project(detail::SimplexQP& qp, std::span<const double> G, std::span<const double> u, std::span<double> b, std::span<double> a, std::span<double> v) {
    detail::gram_times(G, u, b);
    qp.solve(G, b, detail::SimplexQP::Region::nonnegative, a);
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = u[k] + a[k];
}

}  // namespace

UPGrad::UPGrad(int tasks, detail::Options& options)
    : pref_(options.per_task("weights", std::size_t(tasks), 1.0 / tasks)), qp_(std::size_t(tasks)), u_(std::size_t(tasks)), b_(std::size_t(tasks)),
      a_(std::size_t(tasks)) {}

void UPGrad::do_coefficients(const StepContext& ctx, std::span<double> c) {
    std::fill(c.begin(), c.end(), 0.0);
    for (std::size_t i = 0; i < c.size(); ++i) {
        std::fill(u_.begin(), u_.end(), 0.0);
        u_[i] = pref_[i];
        project(qp_, ctx.gram, u_, b_, a_, u_);  // u_ becomes v_i
        for (std::size_t k = 0; k < c.size(); ++k) c[k] += u_[k];
    }
}

DualProj::DualProj(int tasks, detail::Options& options)
    : pref_(options.per_task("weights", std::size_t(tasks), 1.0 / tasks)), qp_(std::size_t(tasks)), b_(std::size_t(tasks)), a_(std::size_t(tasks)) {}

void DualProj::do_coefficients(const StepContext& ctx, std::span<double> c) { project(qp_, ctx.gram, pref_, b_, a_, c); }

}  // namespace hyda::mtl
