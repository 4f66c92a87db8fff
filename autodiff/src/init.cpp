#include "hyda/autodiff/init.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hyda::ad {
namespace {

template <class T>
void fill_uniform(Parameter<T>& p, Rng& rng, double bound) {
    T* w = p.value().data();
    for (std::size_t i = 0; i < p.size(); ++i) w[i] = T(bound * (2 * rng.uniform() - 1));
}

template <class T>
void fill_normal(Parameter<T>& p, Rng& rng, double stddev) {
    T* w = p.value().data();
    for (std::size_t i = 0; i < p.size(); ++i) w[i] = T(stddev * rng.normal());
}

}  // namespace

template <class T>
void xavier_uniform(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain) {
    fill_uniform(p, rng, gain * std::sqrt(6.0 / (p.rows() + p.cols())));
}

template <class T>
void xavier_normal(Parameter<T>& p, Rng& rng, std::type_identity_t<T> gain) {
    fill_normal(p, rng, gain * std::sqrt(2.0 / (p.rows() + p.cols())));
}

template <class T>
void he_uniform(Parameter<T>& p, Rng& rng) {
    fill_uniform(p, rng, std::sqrt(6.0 / p.rows()));
}

template <class T>
void he_normal(Parameter<T>& p, Rng& rng) {
    fill_normal(p, rng, std::sqrt(2.0 / p.rows()));
}

template <class T>
void fan_in_uniform(Parameter<T>& W, Parameter<T>& b, Rng& rng) {
    if (b.size() != std::size_t(W.cols()))
        throw std::invalid_argument("fan_in_uniform: bias '" + b.name() + "' has " + std::to_string(b.size()) + " values for the " +
                                    std::to_string(W.cols()) + " outputs of '" + W.name() + "'");
    const double bound = 1 / std::sqrt(double(W.rows()));
    fill_uniform(W, rng, bound);
    fill_uniform(b, rng, bound);
}

template <class T>
void zeros(Parameter<T>& p) {
    constant(p, T(0));
}

template <class T>
void constant(Parameter<T>& p, std::type_identity_t<T> value) {
    std::fill_n(p.value().data(), p.size(), value);
}

#define HYDA_INIT_INSTANTIATE(T)                                         \
    template void xavier_uniform<T>(Parameter<T>&, Rng&, T);             \
    template void xavier_normal<T>(Parameter<T>&, Rng&, T);              \
    template void he_uniform<T>(Parameter<T>&, Rng&);                    \
    template void he_normal<T>(Parameter<T>&, Rng&);                     \
    template void fan_in_uniform<T>(Parameter<T>&, Parameter<T>&, Rng&); \
    template void zeros<T>(Parameter<T>&);                               \
    template void constant<T>(Parameter<T>&, T);
HYDA_INIT_INSTANTIATE(float)
HYDA_INIT_INSTANTIATE(double)
#undef HYDA_INIT_INSTANTIATE

}  // namespace hyda::ad
