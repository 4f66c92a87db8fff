#pragma once
// Internal: what the tape and the optimizers need of a Parameter beyond its public API.
#include <bit>
#include <stdexcept>
#include <string>

#include "hyda/autodiff/parameter.hpp"

namespace hyda::ad::detail {

template <class T>
struct ParameterAccess {
    // Storage for the per-loss gradients of the losses in `mask`, laid out in increasing
    // loss order. Allocates only when it must grow; if that throws, p is unchanged.
    static T* prepare_task_grads(Parameter<T>& p, std::uint64_t mask) {
        const std::size_t need = std::size_t(std::popcount(mask)) * p.size();
        if (p.task_grads_.size() < need) p.task_grads_.resize(need);
        p.task_mask_ = mask;
        return p.task_grads_.data();
    }
};

// Throws std::invalid_argument naming `who` if p's value() and grad() differ in shape
// (one of them was resized).
template <class T>
void check_shape(const char* who, const Parameter<T>& p) {
    const Tensor<T>& v = p.value();
    const Tensor<T>& g = p.grad();
    if (v.rows() != g.rows() || v.cols() != g.cols()) {
        throw std::invalid_argument(std::string(who) + ": parameter '" + p.name() + "' has value " + shape_string(v.rows(), v.cols()) +
                                    " but grad " + shape_string(g.rows(), g.cols()) + " (value() and grad() must keep one shape)");
    }
}

}  // namespace hyda::ad::detail
