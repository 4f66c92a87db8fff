#pragma once
// Internal: the alpha-fair allocation of a Gram matrix, shared by Nash-MTL (alpha = 1) and
// FairGrad (any alpha > 0).
#include <cstddef>
#include <span>
#include <vector>

namespace hyda::mtl::detail {

// Finds w > 0 with
//     ((G + rho diag(G)) w)_k = w_k^(-1/alpha)   for every task k with a gradient,
// the stationary point of the strictly convex
//     f(w) = 0.5 w^T (G + rho diag(G)) w - sum_k phi(w_k),
//     phi(w) = log w (alpha = 1),  w^(1 - 1/alpha) / (1 - 1/alpha) (alpha != 1),
// (phi' = w^(-1/alpha) > 0, phi'' < 0), by Newton's method with a backtracking line search
// that keeps w > 0 (Boyd & Vandenberghe, "Convex Optimization", 2004, Algorithm 9.5),
// from the solution for the diagonal of G. f is self-concordant at alpha = 1, so the
// damped phase ends after a number of steps bounded by f's initial gap and the quadratic
// phase takes a handful; we stop when every |w_k^(1/alpha) ((G + rho diag(G)) w)_k - 1| is
// below 1e-12 of the size of the terms summed in it (a large w_k makes (G w)_k a small
// difference of large terms, known no better than that). On random problems (2 to 16
// tasks, every rank, alpha 0.5 to 5) that took a median of 4 to 14 Newton steps, at most
// 27.
//
// Degenerate G:
// - A task with a zero gradient (G_kk = 0: a batch without its labels) has no solution,
//   f being unbounded along w_k; it is left out of the system and keeps the w_k it is
//   given (its coefficient multiplies a zero gradient).
// - Without the ridge, the system also has no solution where a nonnegative combination of
//   nonzero gradients vanishes (a Pareto-stationary point: g_2 = -g_1, say), some
//   w_k -> infinity. The ridge rho = 1e-8 on the diagonal, relative to each task's own
//   G_kk, makes G + rho diag(G) positive definite, so a solution always exists; at
//   alpha = 1 it has w^T (G + rho diag(G)) w = K, so rho w_k^2 G_kk <= K. It changes a
//   regular solution by about 1e-8 relative, whatever the scales of the gradients (a
//   ridge rho ||G|| I would bias tasks with small gradients).
//
// The solution scales with G: for G = s G', w = s^(-alpha / (alpha + 1)) w', so we solve
// on G / ||G||_F and scale back. Holds its workspace: solving allocates nothing.
class AlphaFairSolver {
public:
    explicit AlphaFairSolver(std::size_t n);

    // Writes w_k (w of size n) for every task with a gradient, leaving the others'. Returns
    // false, w unchanged, if no task has one. Throws std::invalid_argument for wrong
    // sizes, a non-finite entry of G, or alpha <= 0.
    bool solve(std::span<const double> G, double alpha, std::span<double> w);

    static constexpr double ridge = 1e-8;

private:
    // f at w on the reduced, normalised problem H_.
    double objective(std::span<const double> w) const;

    std::size_t n_, m_ = 0;  // tasks; tasks with a gradient
    double alpha_ = 1;
    std::vector<std::size_t> present_;            // the tasks with a gradient
    std::vector<double> H_, L_, w_, trial_, grad_, step_;  // m x m and m, over present_
};

}  // namespace hyda::mtl::detail
