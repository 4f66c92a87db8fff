// MoCo's tracked task gradients (Needs::tracked_gradients): after the sweep, each y_k
// follows g_k, y_k <- y_k + rate (s_k g_k - y_k), over the shared parameters, and the Gram
// matrix of the y_k is accumulated in the same pass.
#include <algorithm>

#include "hyda/kernels/elementwise.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

template <class T>
void Trainer<T>::State::track_gradients(double rate) {
    const auto& ps = params();
    std::fill(tracked_gram.begin(), tracked_gram.end(), 0.0);
    for (std::size_t i = 0; i < model.shared_count(); ++i) {
        const std::size_t n = ps[i]->size();
        for (int k = 0; k < K; ++k) {
            T* y = tracked[i].data() + std::size_t(k) * n;
            hyda::scale(n, T(1 - rate), y, y);
            hyda::axpy(n, T(rate * track_scale[std::size_t(k)]), ps[i]->task_grad(k), y);
            gram_rows[std::size_t(k)] = y;
        }
        add_gram(gram_rows, n, tracked_gram);
    }
}

template void Trainer<float>::State::track_gradients(double);
template void Trainer<double>::State::track_gradients(double);

}  // namespace hyda::mtl
