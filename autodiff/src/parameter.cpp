#include "hyda/autodiff/parameter.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "hyda/kernels/elementwise.hpp"

namespace hyda::ad {

template <class T>
int Parameter<T>::slot_of(int k) const {
    if (k < 0 || k >= 64 || !(task_mask_ >> k & 1)) return -1;
    return std::popcount(task_mask_ & ((std::uint64_t(1) << k) - 1));
}

template <class T>
T* Parameter<T>::prepare_task_grads(std::uint64_t mask) {
    task_mask_ = mask;
    const std::size_t need = std::size_t(std::popcount(mask)) * size();
    if (task_grads_.size() < need) task_grads_.resize(need);
    return task_grads_.data();
}

template <class T>
void Parameter<T>::combine(const T* weights, int n_losses) {
    if (n_losses < 0 || n_losses > 64) throw std::invalid_argument("combine: 0 to 64 losses, got " + std::to_string(n_losses));
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
