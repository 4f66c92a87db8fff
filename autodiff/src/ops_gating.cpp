// The ops of a gated mixture of experts (MMoE, PLE): the row-wise softmax of the gates,
// and one term of a gated sum, mix_add. Forward and backward of each side by side.
#include <algorithm>

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

// y = acc + w[:, e] * x, row by row; inputs (acc, x, w), or (x, w) for the first term.
template <class T>
struct MixAdd {
    struct Attrs {
        int column;   // e
        bool has_acc;
    };

    // d_acc = dy: with acc's one consumer this op, its adjoint is dy's buffer already (the
    // node works in place on input 0). dx_r = w[r, e] dy_r, dw[r, e] = <dy_r, x_r>; dy is
    // only read.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto [column, has_acc] = attrs<MixAdd>(n);
        const int ix = has_acc ? 1 : 0, iw = ix + 1;
        const std::size_t cols = std::size_t(n.cols), size = n.size();
        const T* x = n.input_value[ix];
        const T* w = n.input_value[iw];
        const std::size_t gates = std::size_t(run.inputs_[iw]->cols);
        if (has_acc) {
            const auto dacc = run.grad(0, true);
            if (dacc.data != nullptr && dacc.data != run.out_adj()) {
                for (int s = 0; s < run.slots(); ++s) {
                    const T* dy = run.out_adj() + std::size_t(s) * size;
                    T* d = dacc.data + std::size_t(s) * size;
                    if (dacc.beta == T(0)) std::copy(dy, dy + size, d);
                    else hyda::add(size, d, dy, d);
                }
            }
        }
        const auto dx = run.grad(ix, true);
        const auto dw = run.grad(iw, false);
        for (int s = 0; s < run.slots(); ++s) {
            for (int r = 0; r < n.rows; ++r) {
                const T* dy = run.out_adj() + std::size_t(s) * size + std::size_t(r) * cols;
                const T weight = w[std::size_t(r) * gates + std::size_t(column)];
                if (dx.data != nullptr) {
                    T* d = dx.data + std::size_t(s) * size + std::size_t(r) * cols;
                    if (dx.beta == T(0)) hyda::scale(cols, weight, dy, d);
                    else hyda::axpy(cols, weight, dy, d);
                }
                if (dw.data != nullptr)
                    dw.data[std::size_t(s) * n.rows * gates + std::size_t(r) * gates + std::size_t(column)] += hyda::dot(cols, dy, x + std::size_t(r) * cols);
            }
        }
    }
};

}  // namespace

template <class T>
Var<T> mix_add(Var<T> acc, Var<T> x, Var<T> w, int column) {
    detail::TapeState<T>& tape = detail::same_tape("mix_add", x, w);
    const Node<T>& X = tape.node(x);
    const Node<T>& W = tape.node(w);
    if (W.rows != X.rows) detail::shape_error("mix_add", "gate weights " + detail::describe(W) + " need one row per row of " + detail::describe(X));
    if (column < 0 || column >= W.cols)
        detail::shape_error("mix_add", "column " + std::to_string(column) + " is outside gate weights " + detail::describe(W));
    const T* accv = nullptr;
    if (acc) {
        detail::same_tape("mix_add", acc, x);
        const Node<T>& A = tape.node(acc);
        if (A.rows != X.rows || A.cols != X.cols)
            detail::shape_error("mix_add", "the running sum " + detail::describe(A) + " and the term " + detail::describe(X) + " differ in shape");
        accv = A.value;
    }
    const T* xv = X.value;
    const T* wv = W.value;
    const std::size_t rows = std::size_t(X.rows), cols = std::size_t(X.cols), gates = std::size_t(W.cols);
    const typename MixAdd<T>::Attrs a{column, bool(acc)};
    Node<T> n = acc ? detail::make_node<T>("mix_add", X.rows, X.cols, &MixAdd<T>::backward, {acc.id, x.id, w.id}, a)
                    : detail::make_node<T>("mix_add", X.rows, X.cols, &MixAdd<T>::backward, {x.id, w.id}, a);
    n.backward_in_place = bool(acc);
    Var<T> y = tape.record(std::move(n));
    T* yv = tape.node(y).value;
    for (std::size_t r = 0; r < rows; ++r) {
        const T weight = wv[r * gates + std::size_t(column)];
        if (accv != nullptr) {
            std::copy(accv + r * cols, accv + (r + 1) * cols, yv + r * cols);
            hyda::axpy(cols, weight, xv + r * cols, yv + r * cols);
        } else {
            hyda::scale(cols, weight, xv + r * cols, yv + r * cols);
        }
    }
    return y;
}

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
template Var<float> mix_add(Var<float>, Var<float>, Var<float>, int);
template Var<double> mix_add(Var<double>, Var<double>, Var<double>, int);

}  // namespace hyda::ad
