// Reductions and reshaping ops: sum, mean, concat, slice, dropout.
#include <cstring>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

using detail::describe;

namespace {

template <class T>
Tape<T>& tape_of(const char* op, Var<T> x) {
    if (x.tape == nullptr) detail::shape_error(op, "the operand is an empty Var");
    return *x.tape;
}

// sum and mean: y = scale * sum(x), scale = 1 or 1 / size; dx += scale * dy.
template <class T>
struct Sum {
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, false);
        if (dx.data == nullptr) return;
        const std::size_t size = run.inputs_[0]->size();
        for (int s = 0; s < run.slots(); ++s) {
            const T g = n.scalar * run.out_adj()[s];
            T* d = dx.data + s * size;
            for (std::size_t i = 0; i < size; ++i) d[i] += g;
        }
    }
};

template <class T>
Var<T> reduce_all(const char* op, Var<T> x, bool average) {
    Tape<T>& tape = tape_of(op, x);
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    const std::size_t size = X.size();
    Node<T> n = detail::make_node<T>(op, 1, 1, &Sum<T>::backward, {x.id});
    n.scalar = average && size > 0 ? T(1) / T(size) : T(1);
    const T factor = n.scalar;
    Var<T> y = tape.record(std::move(n));
    tape.node(y).value[0] = factor * hyda::sum(size, xv);
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

// Offset of part b (or of a slice) inside the output: i0 = axis, i1 = begin.
template <class T>
std::size_t offset(Axis axis, int begin, int cols) {
    return axis == Axis::rows ? std::size_t(begin) * cols : std::size_t(begin);
}

template <class T>
struct Concat {
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const Axis axis = Axis(n.i0);
        for (int i = 0; i < 2; ++i) {
            const auto dx = run.grad(i, true);
            if (dx.data == nullptr) continue;
            const Node<T>& in = *run.inputs_[i];
            const int begin = i == 0 ? 0 : (axis == Axis::rows ? run.inputs_[0]->rows : run.inputs_[0]->cols);
            for (int s = 0; s < run.slots(); ++s) {
                const T* dy = run.out_adj() + s * n.size() + offset<T>(axis, begin, n.cols);
                copy_block(in.rows, in.cols, dy, n.cols, dx.data + s * in.size(), in.cols, dx.beta != T(0));
            }
        }
    }
};

template <class T>
struct Slice {
    // i0 = axis, i1 = begin.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, false);
        if (dx.data == nullptr) return;
        const Node<T>& in = *run.inputs_[0];
        for (int s = 0; s < run.slots(); ++s) {
            T* d = dx.data + s * in.size() + offset<T>(Axis(n.i0), n.i1, in.cols);
            copy_block(n.rows, n.cols, run.out_adj() + s * n.size(), n.cols, d, in.cols, true);
        }
    }
};

template <class T>
struct Dropout {
    // aux: the mask, 0 or 1 / (1 - p) per element. dx = dy * mask, written over a fresh
    // dx (which may be dy itself: dropout works in place, like the activations).
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, true);
        if (dx.data == nullptr) return;
        for (int s = 0; s < run.slots(); ++s) {
            const T* dy = run.out_adj() + s * n.size();
            T* d = dx.data + s * n.size();
            if (dx.beta == T(0)) {
                hyda::mul(n.size(), dy, n.aux, d);
            } else {
                for (std::size_t i = 0; i < n.size(); ++i) d[i] += dy[i] * n.aux[i];
            }
        }
    }
};

}  // namespace

template <class T> Var<T> sum(Var<T> x) { return reduce_all("sum", x, false); }
template <class T> Var<T> mean(Var<T> x) { return reduce_all("mean", x, true); }

template <class T>
Var<T> concat(Var<T> a, Var<T> b, Axis axis) {
    Tape<T>& tape = detail::same_tape("concat", a, b);
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
    Node<T> n = detail::make_node<T>("concat", out_rows, out_cols, &Concat<T>::backward, {a.id, b.id});
    n.i0 = int(axis);
    Var<T> y = tape.record(std::move(n));
    T* yv = tape.node(y).value;
    copy_block(a_rows, a_cols, av, a_cols, yv, out_cols, false);
    copy_block(b_rows, b_cols, bv, b_cols, yv + offset<T>(axis, rows ? a_rows : a_cols, out_cols), out_cols, false);
    return y;
}

template <class T>
Var<T> slice(Var<T> x, Axis axis, int begin, int end) {
    Tape<T>& tape = tape_of("slice", x);
    const Node<T>& X = tape.node(x);
    const int extent = axis == Axis::rows ? X.rows : X.cols;
    if (begin < 0 || end > extent || begin >= end) {
        detail::shape_error("slice", std::string(axis == Axis::rows ? "rows" : "columns") + " [" + std::to_string(begin) + ", " +
                                         std::to_string(end) + ") are not a non-empty range inside " + describe(X));
    }
    const int rows = axis == Axis::rows ? end - begin : X.rows, cols = axis == Axis::rows ? X.cols : end - begin;
    const T* src = X.value + offset<T>(axis, begin, X.cols);
    const int ld = X.cols;
    Node<T> n = detail::make_node<T>("slice", rows, cols, &Slice<T>::backward, {x.id});
    n.i0 = int(axis);
    n.i1 = begin;
    Var<T> y = tape.record(std::move(n));
    copy_block(rows, cols, src, ld, tape.node(y).value, cols, false);
    return y;
}

template <class T>
Var<T> dropout(Var<T> x, T p) {
    Tape<T>& tape = tape_of("dropout", x);
    if (!(p >= T(0) && p < T(1))) detail::shape_error("dropout", "p must be in [0, 1), got " + std::to_string(p));
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    Node<T> n = detail::make_node<T>("dropout", X.rows, X.cols, &Dropout<T>::backward, {x.id});
    n.aux = tape.scratch(n.size());
    n.backward_in_place = true;
    const T keep_scale = T(1) / (T(1) - p);
    // Keep an element when a uniform 53-bit draw is >= p.
    const double threshold = double(p);
    for (std::size_t i = 0; i < n.size(); ++i) {
        const double u = double(tape.next_random() >> 11) * 0x1.0p-53;
        n.aux[i] = u >= threshold ? keep_scale : T(0);
    }
    const T* mask = n.aux;
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
