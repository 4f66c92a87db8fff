// Row-wise softmax: forward and backward.
#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

namespace {

// y_r = softmax(x_r) for each row r; the backward reads only y.
template <class T>
struct Softmax {
    // dx_r = y_r * (dy_r - <dy_r, y_r>). dx may be dy itself (in place): each row's inner
    // product is taken before the row is written.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, true);
        if (dx.data == nullptr) return;
        const std::size_t cols = std::size_t(n.cols);
        for (int s = 0; s < run.slots(); ++s) {
            for (int r = 0; r < n.rows; ++r) {
                const std::size_t at = std::size_t(s) * n.size() + std::size_t(r) * cols;
                const T* y = n.value + std::size_t(r) * cols;
                const T* dy = run.out_adj() + at;
                T* d = dx.data + at;
                const T inner = hyda::dot(cols, dy, y);
                if (dx.beta == T(0)) {
                    for (std::size_t j = 0; j < cols; ++j) d[j] = y[j] * (dy[j] - inner);
                } else {
                    for (std::size_t j = 0; j < cols; ++j) d[j] += y[j] * (dy[j] - inner);
                }
            }
        }
    }
};

}  // namespace

template <class T>
Var<T> softmax(Var<T> x) {
    detail::TapeState<T>& tape = detail::tape_of("softmax", x);
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    const std::size_t rows = std::size_t(X.rows), cols = std::size_t(X.cols);
    Node<T> n = detail::make_node<T>("softmax", X.rows, X.cols, &Softmax<T>::backward, {x.id});
    n.backward_in_place = true;
    Var<T> y = tape.record(std::move(n));
    T* yv = tape.node(y).value;
    // exp(x - max) / sum: every exponent is <= 0, so no overflow for any finite row, and
    // x - max is exact for the entries near the maximum, which carry the mass.
    for (std::size_t r = 0; r < rows; ++r) {
        const T top = hyda::max(cols, xv + r * cols);
        for (std::size_t j = 0; j < cols; ++j) yv[r * cols + j] = xv[r * cols + j] - top;
    }
    hyda::exp(rows * cols, yv, yv);
    for (std::size_t r = 0; r < rows; ++r) {
        T* yr = yv + r * cols;
        const T total = hyda::sum(cols, yr);
        for (std::size_t j = 0; j < cols; ++j) yr[j] /= total;
    }
    return y;
}

template Var<float> softmax(Var<float>);
template Var<double> softmax(Var<double>);

}  // namespace hyda::ad
