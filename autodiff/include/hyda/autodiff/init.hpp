#pragma once
// Parameter initializers, drawing from the project's Rng (random.hpp).
//
// A weight is [fan_in x fan_out]: linear(x, W, b) computes x W + b, so fan_in = rows and
// fan_out = cols.
#include <type_traits>

#include "hyda/autodiff/parameter.hpp"
#include "hyda/autodiff/random.hpp"

namespace hyda::ad {

// Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward
// neural networks" (AISTATS): variance gain^2 * 2 / (fan_in + fan_out).
// Uniform on [-a, a], a = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
void xavier_uniform(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain = T(1));
// Normal with mean 0, standard deviation gain * sqrt(2 / (fan_in + fan_out)).
template <class T>
void xavier_normal(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain = T(1));

// He et al. 2015, "Delving deep into rectifiers" (ICCV), for ReLU layers: variance
// 2 / fan_in (fan-in mode, gain sqrt(2)).
// Uniform on [-a, a], a = sqrt(6 / fan_in).
template <class T>
void he_uniform(Parameter<T>& p, Rng& rng);
// Normal with mean 0, standard deviation sqrt(2 / fan_in).
template <class T>
void he_normal(Parameter<T>& p, Rng& rng);

template <class T>
void zeros(Parameter<T>& p);
template <class T>
void constant(Parameter<T>& p, std::type_identity_t<T> value);

}  // namespace hyda::ad
