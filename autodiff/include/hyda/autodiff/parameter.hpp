#pragma once
// A trainable tensor: its value, the gradient the optimizer applies, and after
// Tape::backward_multi the separate gradient of each loss.
#include <cstdint>
#include <string>
#include <vector>

#include "hyda/autodiff/tensor.hpp"

namespace hyda::ad {

template <class T>
class Parameter {
public:
    Parameter(std::string name, int rows, int cols) : name_(std::move(name)), value_(rows, cols), grad_(rows, cols) {}

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

    // Internal (the tape): storage for the per-loss gradients of the losses in `mask`,
    // laid out in increasing loss order. Allocates only when it must grow.
    T* prepare_task_grads(std::uint64_t mask);

private:
    int slot_of(int k) const;

    std::string name_;
    Tensor<T> value_, grad_;
    std::vector<T> task_grads_;
    std::uint64_t task_mask_ = 0;
};

}  // namespace hyda::ad
