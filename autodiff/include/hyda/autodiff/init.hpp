#pragma once
// Parameter initializers, drawing from the project's Rng (random.hpp).
//
// A weight is [fan_in x fan_out]: linear(x, W, b) computes x W + b, so fan_in = rows and
// fan_out = cols.
#include <type_traits>

#include "hyda/autodiff/parameter.hpp"
#include "hyda/autodiff/random.hpp"
#include "hyda/kernels/export.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

// Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward
// neural networks" (AISTATS): variance gain^2 * 2 / (fan_in + fan_out).
// Uniform on [-a, a], a = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
HYDA_EXPORT void xavier_uniform(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain = T(1));
// Normal with mean 0, standard deviation gain * sqrt(2 / (fan_in + fan_out)).
template <class T>
HYDA_EXPORT void xavier_normal(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain = T(1));

// He et al. 2015, "Delving deep into rectifiers" (ICCV), for ReLU layers: variance
// 2 / fan_in (fan-in mode, gain sqrt(2)).
// Uniform on [-a, a], a = sqrt(6 / fan_in).
template <class T>
HYDA_EXPORT void he_uniform(Parameter<T>& p, Rng& rng);
// Normal with mean 0, standard deviation sqrt(2 / fan_in).
template <class T>
HYDA_EXPORT void he_normal(Parameter<T>& p, Rng& rng);

// torch.nn.Linear's default (its reset_parameters: kaiming_uniform_ with a = sqrt(5) for
// the weight, which gives the same bound as the bias): the weight W [fan_in x fan_out] and
// the bias b both uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)], W drawn first. Variance
// 1 / (3 fan_in). The 1/sqrt(fan_in) scale is LeCun, Bottou, Orr & Mueller 1998,
// "Efficient BackProp" (sec. 4.6), which asks for standard deviation 1/sqrt(fan_in);
// PyTorch uses it as the bound, so its spread is sqrt(3) smaller than LeCun's (and
// sqrt(6) smaller than he_uniform's).
template <class T>
HYDA_EXPORT void fan_in_uniform(Parameter<T>& W, Parameter<T>& b, Rng& rng);

template <class T>
HYDA_EXPORT void zeros(Parameter<T>& p);
template <class T>
HYDA_EXPORT void constant(Parameter<T>& p, std::type_identity_t<T> value);

}  // namespace hyda::ad
#pragma GCC visibility pop
