#pragma once
// Internal: the alpha-fair allocation of a Gram matrix, shared by Nash-MTL (alpha = 1) and
// FairGrad (any alpha > 0).
#include <cstddef>
#include <span>
#include <vector>

namespace hyda::mtl::detail {

// Finds w > 0 with
//     ((G + rho I) w)_k = w_k^(-1/alpha)   for every k,   rho = ridge ||G||_F,
// the stationary point of the strictly convex
//     f(w) = 0.5 w^T (G + rho I) w - sum_k phi(w_k),
//     phi(w) = log w (alpha = 1),  w^(1 - 1/alpha) / (1 - 1/alpha) (alpha != 1),
// (phi' = w^(-1/alpha) > 0, phi'' < 0), by Newton's method with a backtracking line search
// that keeps w > 0 (Boyd & Vandenberghe, "Convex Optimization", 2004, Algorithm 9.5),
// from the solution for the diagonal of G. f is self-concordant at alpha = 1, so the
// damped phase ends after a number of steps bounded by f's initial gap and the quadratic
// phase takes a handful; we stop when every |w_k^(1/alpha) ((G + rho I) w)_k - 1| is below
// 1e-12 of the size of the terms summed in it (8 to 15 steps on random problems).
//
// Why the ridge: without it the system has no solution when some nonnegative combination
// of the gradients vanishes, i.e. at a Pareto-stationary point (a zero gradient, two
// opposite ones): f is then unbounded below along that combination, some w_k -> infinity.
// The ridge rho = 1e-8 ||G||_F bounds every w_k (on G / ||G||_F at alpha = 1, by
// 1 / sqrt(rho) = 1e4), and changes a regular solution only by about 1e-8 relative.
// The combined gradient sum_k w_k g_k stays the limit of the unregularised problem's
// where that exists (the unbounded coefficients multiply a vanishing combination).
//
// The solution scales with G: for G = s G', w = s^(-alpha / (alpha + 1)) w', so we solve
// on G / ||G||_F and scale back. Holds its workspace: solving allocates nothing.
class AlphaFairSolver {
public:
    explicit AlphaFairSolver(std::size_t n);

    // Writes w (size n). Returns false, leaving w unchanged, if G is zero (no direction to
    // share). Throws std::invalid_argument for wrong sizes, a non-finite entry of G, or
    // alpha <= 0.
    bool solve(std::span<const double> G, double alpha, std::span<double> w);

    static constexpr double ridge = 1e-8;

private:
    // f at w_ (the objective on the normalised problem H_).
    double objective(std::span<const double> w) const;

    std::size_t n_;
    double alpha_ = 1;
    std::vector<double> H_, L_, w_, trial_, grad_, step_, Hw_;
};

}  // namespace hyda::mtl::detail
