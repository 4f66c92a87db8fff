#pragma once
// Central finite differences in double precision, to check a function's gradients.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "hyda/autodiff/tape.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0;  // over all checked elements: |analytic - numeric|
    std::string worst;         // "param[r,c]: analytic a, numeric n" of the largest error
};

// Builds f on a fresh tape (seeded with `seed`, so dropout masks repeat) for every
// evaluation, runs backward once, and compares every element of every parameter's
// gradient with (f(theta + eps) - f(theta - eps)) / (2 eps). An element passes when
// |analytic - numeric| <= atol + rtol |numeric|. If f throws, the exception propagates
// and every parameter keeps its value.
GradcheckResult gradcheck(const std::function<Var<double>(Tape<double>&)>& f, std::span<Parameter<double>* const> params,
                          double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5, std::uint64_t seed = 1);

}  // namespace hyda::ad
#pragma GCC visibility pop
