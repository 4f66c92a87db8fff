#include "hyda/autodiff/init.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hyda::ad {
namespace {

// Uniform on [0, 1): the top 53 bits of one draw, exactly representable in a double.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1p-53; }

template <class T>
void fill_uniform(Parameter<T>& p, std::mt19937_64& rng, double bound) {
    T* w = p.value().data();
    for (std::size_t i = 0; i < p.size(); ++i) w[i] = T(bound * (2 * uniform01(rng) - 1));
}

// Box-Muller (1958): two uniforms give two independent standard normals.
template <class T>
void fill_normal(Parameter<T>& p, std::mt19937_64& rng, double stddev) {
    T* w = p.value().data();
    for (std::size_t i = 0; i < p.size(); i += 2) {
        const double r = stddev * std::sqrt(-2 * std::log(1 - uniform01(rng)));  // 1 - u in (0, 1]
        const double angle = 2 * std::numbers::pi * uniform01(rng);
        w[i] = T(r * std::cos(angle));
        if (i + 1 < p.size()) w[i + 1] = T(r * std::sin(angle));
    }
}

}  // namespace

template <class T>
void xavier_uniform(Parameter<T>& p, std::mt19937_64& rng, std::type_identity_t<T> gain) {
    fill_uniform(p, rng, gain * std::sqrt(6.0 / (p.rows() + p.cols())));
}

template <class T>
void xavier_normal(Parameter<T>& p, std::mt19937_64& rng, std::type_identity_t<T> gain) {
    fill_normal(p, rng, gain * std::sqrt(2.0 / (p.rows() + p.cols())));
}

template <class T>
void he_uniform(Parameter<T>& p, std::mt19937_64& rng) {
    fill_uniform(p, rng, std::sqrt(6.0 / p.rows()));
}

template <class T>
void he_normal(Parameter<T>& p, std::mt19937_64& rng) {
    fill_normal(p, rng, std::sqrt(2.0 / p.rows()));
}

template <class T>
void zeros(Parameter<T>& p) {
    constant(p, T(0));
}

template <class T>
void constant(Parameter<T>& p, std::type_identity_t<T> value) {
    std::fill_n(p.value().data(), p.size(), value);
}

#define HYDA_INIT_INSTANTIATE(T)                                          \
    template void xavier_uniform<T>(Parameter<T>&, std::mt19937_64&, T); \
    template void xavier_normal<T>(Parameter<T>&, std::mt19937_64&, T);  \
    template void he_uniform<T>(Parameter<T>&, std::mt19937_64&);        \
    template void he_normal<T>(Parameter<T>&, std::mt19937_64&);         \
    template void zeros<T>(Parameter<T>&);                               \
    template void constant<T>(Parameter<T>&, T);
HYDA_INIT_INSTANTIATE(float)
HYDA_INIT_INSTANTIATE(double)
#undef HYDA_INIT_INSTANTIATE

}  // namespace hyda::ad
