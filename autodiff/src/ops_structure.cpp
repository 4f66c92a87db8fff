// Reductions and reshaping ops: sum, mean, concat, slice, dropout.
#include <cstring>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

using detail::describe;

namespace {

// sum and mean: y = scale * sum(x), scale = 1 or 1 / size; dx += scale * dy.
template <class T>
struct Sum {
    struct Attrs {
        T scale;
    };

    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, false);
        if (dx.data == nullptr) return;
        const auto [scale] = attrs<Sum>(n);
        const std::size_t size = run.inputs_[0]->size();
        for (int s = 0; s < run.slots(); ++s) {
            const T g = scale * run.out_adj()[s];
            T* d = dx.data + s * size;
            for (std::size_t i = 0; i < size; ++i) d[i] += g;
        }
    }
};

template <class T>
Var<T> reduce_all(const char* op, Var<T> x, bool average) {
    detail::TapeState<T>& tape = detail::tape_of(op, x);
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    const std::size_t size = X.size();
    const T scale = average && size > 0 ? T(1) / T(size) : T(1);
    Var<T> y = tape.record(detail::make_node<T>(op, 1, 1, &Sum<T>::backward, {x.id}, typename Sum<T>::Attrs{scale}));
    tape.node(y).value[0] = scale * hyda::sum(size, xv);
    return y;
}

// Copies a block of rows x cols between two row-major matrices, adding into dst if `add`.
template <class T>
void copy_block(int rows, int cols, const T* src, int src_ld, T* dst, int dst_ld, bool accumulate) {
    for (int r = 0; r < rows; ++r) {
        const T* s = src + std::size_t(r) * src_ld;
        T* d = dst + std::size_t(r) * dst_ld;
        if (accumulate) {
            hyda::add(std::size_t(cols), d, s, d);
        } else {
            std::memcpy(d, s, sizeof(T) * cols);
        }
    }
}

// Offset of row or column `begin` in a row-major matrix with `cols` columns.
std::size_t offset(Axis axis, int begin, int cols) {
    return axis == Axis::rows ? std::size_t(begin) * cols : std::size_t(begin);
}

template <class T>
struct Concat {
    struct Attrs {
        Axis axis;
    };

    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto [axis] = attrs<Concat>(n);
        for (int i = 0; i < 2; ++i) {
            const auto dx = run.grad(i, true);
            if (dx.data == nullptr) continue;
            const Node<T>& in = *run.inputs_[i];
            const int begin = i == 0 ? 0 : (axis == Axis::rows ? run.inputs_[0]->rows : run.inputs_[0]->cols);
            for (int s = 0; s < run.slots(); ++s) {
                const T* dy = run.out_adj() + s * n.size() + offset(axis, begin, n.cols);
                copy_block(in.rows, in.cols, dy, n.cols, dx.data + s * in.size(), in.cols, dx.beta != T(0));
            }
        }
    }
};

template <class T>
struct Slice {
    struct Attrs {
        Axis axis;
        int begin;  // the first row or column taken
    };

    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, false);
        if (dx.data == nullptr) return;
        const auto [axis, begin] = attrs<Slice>(n);
        const Node<T>& in = *run.inputs_[0];
        for (int s = 0; s < run.slots(); ++s) {
            T* d = dx.data + s * in.size() + offset(axis, begin, in.cols);
            copy_block(n.rows, n.cols, run.out_adj() + s * n.size(), n.cols, d, in.cols, true);
        }
    }
};

template <class T>
struct Dropout {
    struct Attrs {
        const T* mask;  // per element: 0 (dropped) or 1 / (1 - p)
    };

    // dx = dy * mask, written over a fresh dx (which may be dy itself: dropout works in
    // place, like the activations).
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, true);
        if (dx.data == nullptr) return;
        const auto [mask] = attrs<Dropout>(n);
        for (int s = 0; s < run.slots(); ++s) {
            const T* dy = run.out_adj() + s * n.size();
            T* d = dx.data + s * n.size();
            if (dx.beta == T(0)) {
                hyda::mul(n.size(), dy, mask, d);
            } else {
                for (std::size_t i = 0; i < n.size(); ++i) d[i] += dy[i] * mask[i];
            }
        }
    }
};

}  // namespace

template <class T> Var<T> sum(Var<T> x) { return reduce_all("sum", x, false); }
template <class T> Var<T> mean(Var<T> x) { return reduce_all("mean", x, true); }

template <class T>
Var<T> concat(Var<T> a, Var<T> b, Axis axis) {
    detail::TapeState<T>& tape = detail::same_tape("concat", a, b);
    const Node<T>& A = tape.node(a);
    const Node<T>& B = tape.node(b);
    const bool rows = axis == Axis::rows;
    if (rows ? A.cols != B.cols : A.rows != B.rows) {
        detail::shape_error("concat", std::string("along ") + (rows ? "rows the column counts" : "columns the row counts") +
                                          " must match: " + describe(A) + " and " + describe(B));
    }
    const int out_rows = rows ? A.rows + B.rows : A.rows, out_cols = rows ? A.cols : A.cols + B.cols;
    const T* av = A.value;
    const T* bv = B.value;
    const int a_rows = A.rows, a_cols = A.cols, b_rows = B.rows, b_cols = B.cols;
    Var<T> y = tape.record(detail::make_node<T>("concat", out_rows, out_cols, &Concat<T>::backward, {a.id, b.id}, typename Concat<T>::Attrs{axis}));
    T* yv = tape.node(y).value;
    copy_block(a_rows, a_cols, av, a_cols, yv, out_cols, false);
    copy_block(b_rows, b_cols, bv, b_cols, yv + offset(axis, rows ? a_rows : a_cols, out_cols), out_cols, false);
    return y;
}

template <class T>
Var<T> slice(Var<T> x, Axis axis, int begin, int end) {
    detail::TapeState<T>& tape = detail::tape_of("slice", x);
    const Node<T>& X = tape.node(x);
    const int extent = axis == Axis::rows ? X.rows : X.cols;
    if (begin < 0 || end > extent || begin >= end) {
        detail::shape_error("slice", std::string(axis == Axis::rows ? "rows" : "columns") + " [" + std::to_string(begin) + ", " +
                                         std::to_string(end) + ") are not a non-empty range inside " + describe(X));
    }
    const int rows = axis == Axis::rows ? end - begin : X.rows, cols = axis == Axis::rows ? X.cols : end - begin;
    const T* src = X.value + offset(axis, begin, X.cols);
    const int ld = X.cols;
    Var<T> y = tape.record(detail::make_node<T>("slice", rows, cols, &Slice<T>::backward, {x.id}, typename Slice<T>::Attrs{axis, begin}));
    copy_block(rows, cols, src, ld, tape.node(y).value, cols, false);
    return y;
}

template <class T>
Var<T> dropout(Var<T> x, T p) {
    detail::TapeState<T>& tape = detail::tape_of("dropout", x);
    if (!(p >= T(0) && p < T(1))) detail::shape_error("dropout", "p must be in [0, 1), got " + std::to_string(p));
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    const std::size_t size = X.size();
    T* mask = tape.scratch(size);
    const T keep_scale = T(1) / (T(1) - p);
    // Keep an element when a uniform 53-bit draw is >= p.
    const double threshold = double(p);
    for (std::size_t i = 0; i < size; ++i) {
        mask[i] = tape.rng.uniform() >= threshold ? keep_scale : T(0);
    }
    Node<T> n = detail::make_node<T>("dropout", X.rows, X.cols, &Dropout<T>::backward, {x.id}, typename Dropout<T>::Attrs{mask});
    n.backward_in_place = true;
    Var<T> y = tape.record(std::move(n));
    const Node<T>& Y = tape.node(y);
    hyda::mul(Y.size(), xv, mask, Y.value);
    return y;
}

#define HYDA_INSTANTIATE(T)                              \
    template Var<T> sum(Var<T>);                         \
    template Var<T> mean(Var<T>);                        \
    template Var<T> concat(Var<T>, Var<T>, Axis);        \
    template Var<T> slice(Var<T>, Axis, int, int);       \
    template Var<T> dropout(Var<T>, T);
HYDA_INSTANTIATE(float)
HYDA_INSTANTIATE(double)
#undef HYDA_INSTANTIATE

}  // namespace hyda::ad
