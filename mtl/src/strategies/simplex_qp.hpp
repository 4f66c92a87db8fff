#pragma once
// Internal: the small convex quadratic programs of the Gram-matrix strategies, solved
// exactly (to rounding) rather than iteratively.
#include <cstddef>
#include <span>
#include <vector>

namespace hyda::mtl::detail {

// Minimises f(a) = 0.5 a^T Q a + b^T a, Q symmetric positive semidefinite (n x n,
// row-major; singular allowed), over
//     Region::simplex:      a >= 0, sum_k a_k = 1   (MGDA's min-norm point: Q = G, b = 0)
//     Region::nonnegative:  a >= 0                  (a projection onto a cone, e.g.
//                           min w^T G w over w >= u is this with a = w - u, b = G u)
// At the minimiser, with g = Q a + b and lambda the multiplier of sum a = 1 (0 without it):
//     g_k = lambda where a_k > 0,   g_k >= lambda where a_k = 0.
//
// A primal active-set method (Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006,
// Algorithm 16.3): keep a feasible a and a free set F (the other a_k held at 0); move to
// the minimiser of f over F's face, stopping at the first bound that blocks (which then
// leaves F); at that minimiser free the bound whose multiplier g_k - lambda is the most
// negative, or stop if none is. Each face's minimiser solves a linear system in null-space
// coordinates (for the simplex the directions e_k - e_r, which keep sum a = 1 exactly),
// factored by Cholesky. Singular Q: F starts as one vertex (or empty) and grows by one
// index at a time, so a face's reduced Hessian is positive definite except just after a
// freed index makes it singular; then the factorisation's pivot for that index vanishes,
// the objective is linear along the null direction, and the method moves along it to the
// next bound, which drops an index and restores definiteness. Tolerances are relative to
// the entries each test reads, so the result does not depend on the scale of Q or b.
//
// Cost O(n^3) per step, about n to 2n steps; meant for n up to a few dozen tasks. Holds
// its workspace, so solving allocates nothing.
class SimplexQP {
public:
    enum class Region { simplex, nonnegative };

    explicit SimplexQP(std::size_t n);

    // Writes the minimiser into a (size n); b empty means b = 0. Returns lambda. Throws
    // std::invalid_argument for wrong sizes, a non-finite entry, or (nonnegative region)
    // an objective unbounded below.
    double solve(std::span<const double> Q, std::span<const double> b, Region region, std::span<double> a);

private:
    // g_ = Q a + b, and g_scale_ = |Q| a + |b|: the size of the terms summed in g_.
    void gradient(std::span<const double> a);
    // p_ (zero off F): the step to the minimiser of f over F's face, or, if the face's
    // reduced Hessian is singular, a null direction of it. Returns true for the former.
    bool direction(std::span<const double> a);

    std::size_t n_;
    std::span<const double> Q_, b_;
    bool simplex_ = true;
    std::vector<std::size_t> free_, basis_;  // F; F without the simplex's reference index
    std::vector<double> g_, g_scale_, p_, h_, y_, H_, L_;
    std::size_t reference_ = 0;  // the simplex's reference index r
    std::size_t dependent_ = 0;  // after direction() returns false: the index whose pivot vanished
};

}  // namespace hyda::mtl::detail
