#pragma once
// Helpers for checking that an object is unchanged after a call throws: its elements as a
// vector, and a recognisable fill to compare against.
#include <cstddef>
#include <vector>

#include "hyda/autodiff/tensor.hpp"

namespace hyda::test {

template <class T>
std::vector<T> elements(const T* data, std::size_t n) {
    return data == nullptr ? std::vector<T>{} : std::vector<T>(data, data + n);
}

template <class T>
void fill_ramp(ad::Tensor<T>& t, double start) {
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = T(start + 0.25 * double(i));
}

}  // namespace hyda::test
