#pragma once
// A trainable tensor: its value, the gradient the optimizer applies, and after
// Tape::backward_multi the separate gradient of each loss.
//
// value() and grad() must keep one shape, and an optimizer needs the shapes it was built
// with: Tape::param, combine(), clip_grad_norm and Optimizer::step throw
// std::invalid_argument when a parameter was resized against that.
//
// Copies are independent (value, gradient and task gradients included). A moved-from
// parameter is empty ([0 x 0], no task gradients). Copy assignment gives the strong
// guarantee.
#include <cstdint>
#include <string>
#include <vector>

#include "hyda/autodiff/tensor.hpp"

// Internal: declared before the exported part below, so the shared library hides it.
namespace hyda::ad::detail {
template <class T> struct ParameterAccess;  // the tape's access to the task gradients (src/parameter_access.hpp)
}

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

template <class T>
class Parameter {
public:
    Parameter(std::string name, int rows, int cols) : name_(std::move(name)), value_(rows, cols), grad_(rows, cols) {}

    Parameter(const Parameter&) = default;
    Parameter(Parameter&& other) noexcept;
    Parameter& operator=(const Parameter& other);
    Parameter& operator=(Parameter&& other) noexcept;

    const std::string& name() const { return name_; }
    int rows() const { return value_.rows(); }
    int cols() const { return value_.cols(); }
    std::size_t size() const { return value_.size(); }

    Tensor<T>& value() { return value_; }
    const Tensor<T>& value() const { return value_; }

    // The gradient the optimizer applies: written by Tape::backward, or by combine()
    // after Tape::backward_multi.
    Tensor<T>& grad() { return grad_; }
    const Tensor<T>& grad() const { return grad_; }

    // After Tape::backward_multi: the gradient of loss k (its index in the list of losses)
    // with respect to this parameter, or nullptr if loss k does not depend on it. A sweep
    // only updates the parameters recorded on its tape; others keep their last values.
    const T* task_grad(int k) const {
        const int s = slot_of(k);
        return s < 0 ? nullptr : task_grads_.data() + std::size_t(s) * size();
    }
    T* task_grad(int k) {
        const int s = slot_of(k);
        return s < 0 ? nullptr : task_grads_.data() + std::size_t(s) * size();
    }
    // Bit k set: loss k reaches this parameter (its task_grad(k) is not nullptr).
    std::uint64_t task_mask() const { return task_mask_; }

    // grad() = sum_k weights[k] * task_grad(k), over the losses of the last backward_multi.
    void combine(const T* weights, int n_losses);

private:
    friend struct detail::ParameterAccess<T>;

    int slot_of(int k) const;

    std::string name_;
    Tensor<T> value_, grad_;
    std::vector<T> task_grads_;  // one slot of size() per bit of task_mask_, in bit order
    std::uint64_t task_mask_ = 0;
};

}  // namespace hyda::ad
#pragma GCC visibility pop
