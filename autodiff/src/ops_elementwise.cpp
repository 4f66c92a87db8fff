// Elementwise ops: add/sub/mul/div with broadcasting, and the activations.
#include <cstring>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

using detail::describe;

namespace {

enum class Arith { add, sub, mul, div };
enum class Broadcast { same, row, col, scalar };  // b is [r x c], [1 x c], [r x 1], [1 x 1]

// Row r of b expanded to c columns (uses `fill` for a column or scalar b).
template <class T>
const T* b_row(Broadcast bc, const T* b, int r, int c, T* fill) {
    switch (bc) {
        case Broadcast::same: return b + std::size_t(r) * c;
        case Broadcast::row: return b;
        case Broadcast::col: std::fill(fill, fill + c, b[r]); return fill;
        case Broadcast::scalar: std::fill(fill, fill + c, b[0]); return fill;
    }
    return b;
}

// Adds row vector v (c values, from row r of the output) into the gradient of b.
template <class T>
void reduce_into_b(Broadcast bc, const T* v, int r, int c, T* db) {
    switch (bc) {
        case Broadcast::same: hyda::add(std::size_t(c), db + std::size_t(r) * c, v, db + std::size_t(r) * c); break;
        case Broadcast::row: hyda::add(std::size_t(c), db, v, db); break;
        case Broadcast::col: db[r] += hyda::sum(std::size_t(c), v); break;
        case Broadcast::scalar: db[0] += hyda::sum(std::size_t(c), v); break;
    }
}

template <class T>
struct Binary {
    struct Attrs {
        Arith op;
        Broadcast broadcast;
        T* b_expanded;  // a row of scratch: b's row r as cols values (a column or scalar b)
        T* product;     // a row of scratch: dy times a partial derivative
    };

    static void forward(Arith op, Broadcast bc, int rows, int cols, const T* a, const T* b, T* y, T* b_expanded) {
        for (int r = 0; r < rows; ++r) {
            const T* ar = a + std::size_t(r) * cols;
            const T* br = b_row(bc, b, r, cols, b_expanded);
            T* yr = y + std::size_t(r) * cols;
            switch (op) {
                case Arith::add: hyda::add(std::size_t(cols), ar, br, yr); break;
                case Arith::sub: hyda::sub(std::size_t(cols), ar, br, yr); break;
                case Arith::mul: hyda::mul(std::size_t(cols), ar, br, yr); break;
                case Arith::div: hyda::div(std::size_t(cols), ar, br, yr); break;
            }
        }
    }

    // da += dy * d(a op b)/da, db += reduce(dy * d(a op b)/db), slot by slot.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto [op, bc, b_expanded, product] = attrs<Binary>(n);
        const int rows = n.rows, cols = n.cols;
        const T* a = n.input_value[0];
        const T* b = n.input_value[1];
        const auto da = run.grad(0, false);
        const auto db = run.grad(1, false);
        const std::size_t b_size = run.inputs_[1]->size();
        for (int s = 0; s < run.slots(); ++s) {
            const T* dy = run.out_adj() + std::size_t(s) * n.size();
            for (int r = 0; r < rows; ++r) {
                const T* dyr = dy + std::size_t(r) * cols;
                const T* ar = a + std::size_t(r) * cols;
                if (da.data != nullptr) {
                    T* dar = da.data + std::size_t(s) * n.size() + std::size_t(r) * cols;
                    switch (op) {
                        case Arith::add:
                        case Arith::sub: hyda::add(std::size_t(cols), dar, dyr, dar); break;
                        case Arith::mul: hyda::mul(std::size_t(cols), dyr, b_row(bc, b, r, cols, b_expanded), product), hyda::add(std::size_t(cols), dar, product, dar); break;
                        case Arith::div: hyda::div(std::size_t(cols), dyr, b_row(bc, b, r, cols, b_expanded), product), hyda::add(std::size_t(cols), dar, product, dar); break;
                    }
                }
                if (db.data != nullptr) {
                    T* dbs = db.data + std::size_t(s) * b_size;
                    switch (op) {
                        case Arith::add: reduce_into_b(bc, dyr, r, cols, dbs); break;
                        case Arith::sub: hyda::scale(std::size_t(cols), T(-1), dyr, product), reduce_into_b(bc, product, r, cols, dbs); break;
                        case Arith::mul: hyda::mul(std::size_t(cols), dyr, ar, product), reduce_into_b(bc, product, r, cols, dbs); break;
                        case Arith::div: {  // d(a/b)/db = -(a/b)/b = -y/b
                            const T* yr = n.value + std::size_t(r) * cols;
                            hyda::mul(std::size_t(cols), dyr, yr, product);
                            hyda::div(std::size_t(cols), product, b_row(bc, b, r, cols, b_expanded), product);
                            hyda::scale(std::size_t(cols), T(-1), product, product);
                            reduce_into_b(bc, product, r, cols, dbs);
                            break;
                        }
                    }
                }
            }
        }
    }
};

template <class T>
Var<T> binary(const char* name, Arith op, Var<T> a, Var<T> b) {
    detail::TapeState<T>& tape = detail::same_tape(name, a, b);
    const Node<T>& A = tape.node(a);
    const Node<T>& B = tape.node(b);
    Broadcast bc;
    if (B.rows == A.rows && B.cols == A.cols) {
        bc = Broadcast::same;
    } else if (B.rows == 1 && B.cols == 1) {
        bc = Broadcast::scalar;
    } else if (B.rows == 1 && B.cols == A.cols) {
        bc = Broadcast::row;
    } else if (B.cols == 1 && B.rows == A.rows) {
        bc = Broadcast::col;
    } else {
        detail::shape_error(name, "cannot broadcast " + describe(B) + " to " + describe(A) +
                                      " (the second operand must match, or be [1 x cols], [rows x 1] or [1 x 1])");
    }
    const int rows = A.rows, cols = A.cols;
    const T* av = A.value;
    const T* bv = B.value;
    T* b_expanded = tape.scratch(2 * std::size_t(cols));
    Var<T> y = tape.record(detail::make_node<T>(name, rows, cols, &Binary<T>::backward, {a.id, b.id},
                                                typename Binary<T>::Attrs{op, bc, b_expanded, b_expanded + cols}));
    Binary<T>::forward(op, bc, rows, cols, av, bv, tape.node(y).value, b_expanded);
    return y;
}

// Activations: forward kernel, and the backward kernel reading the input (x) or output (y).
enum class Act { relu, leaky_relu, gelu, tanh, sigmoid };

template <class T>
struct Activation {
    struct Attrs {
        Act act;
        T slope;  // leaky_relu's, for x < 0
    };

    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dx = run.grad(0, true);  // the kernels overwrite when beta == 0
        if (dx.data == nullptr) return;
        const auto [act, slope] = attrs<Activation>(n);
        const std::size_t size = n.size();
        const T* x = n.input_value[0];
        const T* y = n.value;
        for (int s = 0; s < run.slots(); ++s) {
            const T* dy = run.out_adj() + s * size;
            T* d = dx.data + s * size;
            switch (act) {
                case Act::relu: relu_backward(size, x, dy, d, dx.beta); break;
                case Act::leaky_relu: leaky_relu_backward(size, slope, x, dy, d, dx.beta); break;
                case Act::gelu: gelu_backward(size, x, dy, d, dx.beta); break;
                case Act::tanh: tanh_backward(size, y, dy, d, dx.beta); break;
                case Act::sigmoid: sigmoid_backward(size, y, dy, d, dx.beta); break;
            }
        }
    }
};

template <class T>
Var<T> activation(const char* name, Act act, Var<T> x, T slope = T(0)) {
    detail::TapeState<T>& tape = detail::tape_of(name, x);
    const Node<T>& X = tape.node(x);
    const T* xv = X.value;
    Node<T> n = detail::make_node<T>(name, X.rows, X.cols, &Activation<T>::backward, {x.id}, typename Activation<T>::Attrs{act, slope});
    n.backward_in_place = true;
    Var<T> y = tape.record(std::move(n));
    const Node<T>& Y = tape.node(y);
    switch (act) {
        case Act::relu: hyda::relu(Y.size(), xv, Y.value); break;
        case Act::leaky_relu: hyda::leaky_relu(Y.size(), slope, xv, Y.value); break;
        case Act::gelu: hyda::gelu(Y.size(), xv, Y.value); break;
        case Act::tanh: hyda::tanh(Y.size(), xv, Y.value); break;
        case Act::sigmoid: hyda::sigmoid(Y.size(), xv, Y.value); break;
    }
    return y;
}

}  // namespace

template <class T> Var<T> add(Var<T> a, Var<T> b) { return binary("add", Arith::add, a, b); }
template <class T> Var<T> sub(Var<T> a, Var<T> b) { return binary("sub", Arith::sub, a, b); }
template <class T> Var<T> mul(Var<T> a, Var<T> b) { return binary("mul", Arith::mul, a, b); }
template <class T> Var<T> div(Var<T> a, Var<T> b) { return binary("div", Arith::div, a, b); }
template <class T> Var<T> relu(Var<T> x) { return activation("relu", Act::relu, x); }
template <class T> Var<T> leaky_relu(Var<T> x, T slope) { return activation("leaky_relu", Act::leaky_relu, x, slope); }
template <class T> Var<T> gelu(Var<T> x) { return activation("gelu", Act::gelu, x); }
template <class T> Var<T> tanh(Var<T> x) { return activation("tanh", Act::tanh, x); }
template <class T> Var<T> sigmoid(Var<T> x) { return activation("sigmoid", Act::sigmoid, x); }

#define HYDA_INSTANTIATE(T)                         \
    template Var<T> add(Var<T>, Var<T>);            \
    template Var<T> sub(Var<T>, Var<T>);            \
    template Var<T> mul(Var<T>, Var<T>);            \
    template Var<T> div(Var<T>, Var<T>);            \
    template Var<T> relu(Var<T>);                   \
    template Var<T> leaky_relu(Var<T>, T);          \
    template Var<T> gelu(Var<T>);                   \
    template Var<T> tanh(Var<T>);                   \
    template Var<T> sigmoid(Var<T>);
HYDA_INSTANTIATE(float)
HYDA_INSTANTIATE(double)
#undef HYDA_INSTANTIATE

}  // namespace hyda::ad
