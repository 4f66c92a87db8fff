#include "hyda/autodiff/parameter.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <utility>

#include "hyda/kernels/elementwise.hpp"
#include "parameter_access.hpp"

namespace hyda::ad {

// A defaulted move would keep the mask over moved-out storage: task_grad(k) would
// point into nothing.
template <class T>
Parameter<T>::Parameter(Parameter&& other) noexcept
    : name_(std::move(other.name_)),
      value_(std::move(other.value_)),
      grad_(std::move(other.grad_)),
      task_grads_(std::move(other.task_grads_)),
      task_mask_(std::exchange(other.task_mask_, 0)) {}

template <class T>
Parameter<T>& Parameter<T>::operator=(Parameter&& other) noexcept {
    if (this != &other) {
        name_ = std::move(other.name_);
        value_ = std::move(other.value_);
        grad_ = std::move(other.grad_);
        task_grads_ = std::move(other.task_grads_);
        task_mask_ = std::exchange(other.task_mask_, 0);
    }
    return *this;
}

// Copy, then move in: a failed copy leaves *this as it was (member-wise assignment
// could stop halfway, with the new value beside the old gradient).
template <class T>
Parameter<T>& Parameter<T>::operator=(const Parameter& other) {
    Parameter copy(other);
    return *this = std::move(copy);
}

template <class T>
int Parameter<T>::slot_of(int k) const {
    if (k < 0 || k >= 64 || !(task_mask_ >> k & 1)) return -1;
    return std::popcount(task_mask_ & ((std::uint64_t(1) << k) - 1));
}

template <class T>
void Parameter<T>::combine(const T* weights, int n_losses) {
    if (n_losses < 0 || n_losses > 64) throw std::invalid_argument("combine: 0 to 64 losses, got " + std::to_string(n_losses));
    detail::check_shape("combine", *this);
    bool written = false;  // the first term overwrites grad(): no pass to zero it first
    for (int k = 0; k < n_losses; ++k) {
        const T* g = task_grad(k);
        if (g == nullptr || weights[k] == T(0)) continue;
        if (written) {
            hyda::axpy(size(), weights[k], g, grad_.data());
        } else {
            hyda::scale(size(), weights[k], g, grad_.data());
            written = true;
        }
    }
    if (!written) std::fill(grad_.data(), grad_.data() + size(), T(0));
}

template class Parameter<float>;
template class Parameter<double>;

}  // namespace hyda::ad
