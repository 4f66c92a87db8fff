#pragma once
// Internal: the softmax of a few logits, in place.
#include <algorithm>
#include <cmath>
#include <span>

namespace hyda::mtl::detail {

// x_k <- exp(x_k) / sum_j exp(x_j), shifted by the largest x so that no exp overflows.
inline void softmax(std::span<double> x) {
    if (x.empty()) return;
    const double top = *std::max_element(x.begin(), x.end());
    double sum = 0;
    for (double& v : x) sum += v = std::exp(v - top);
    for (double& v : x) v /= sum;
}

}  // namespace hyda::mtl::detail
