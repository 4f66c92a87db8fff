#pragma once
// Parameter initializers, drawing from a seeded std::mt19937_64.
//
// A weight is [fan_in x fan_out]: linear(x, W, b) computes x W + b, so fan_in = rows and
// fan_out = cols.
//
// Reproducibility: the values come from our own transforms of the generator's output
// (53-bit uniforms; Box-Muller for normals), not from std::*_distribution, whose
// algorithms differ between standard libraries. The same seed and the same calls give
// the same uniform values everywhere, and the same normal values on one platform
// (another math library may round std::log/sin/cos differently in the last bit).
#include <random>
#include <type_traits>

#include "hyda/autodiff/parameter.hpp"

namespace hyda::ad {

// Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward
// neural networks" (AISTATS): variance gain^2 * 2 / (fan_in + fan_out).
// Uniform on [-a, a], a = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
void xavier_uniform(Parameter<T>& p, std::mt19937_64& rng, std::type_identity_t<T> gain = T(1));
// Normal with mean 0, standard deviation gain * sqrt(2 / (fan_in + fan_out)).
template <class T>
void xavier_normal(Parameter<T>& p, std::mt19937_64& rng, std::type_identity_t<T> gain = T(1));

// He et al. 2015, "Delving deep into rectifiers" (ICCV), for ReLU layers: variance
// 2 / fan_in (fan-in mode, gain sqrt(2)).
// Uniform on [-a, a], a = sqrt(6 / fan_in).
template <class T>
void he_uniform(Parameter<T>& p, std::mt19937_64& rng);
// Normal with mean 0, standard deviation sqrt(2 / fan_in).
template <class T>
void he_normal(Parameter<T>& p, std::mt19937_64& rng);

template <class T>
void zeros(Parameter<T>& p);
template <class T>
void constant(Parameter<T>& p, std::type_identity_t<T> value);

}  // namespace hyda::ad
