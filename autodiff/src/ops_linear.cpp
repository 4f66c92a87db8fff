// matmul and linear: forward and backward. In a backward run of S slots, the input
// gradient dX = dY W^T of all S losses is one GEMM over the S stacked adjoints (S times
// the rows); each weight gradient dW_s = X^T dY_s is its own GEMM.

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

using detail::describe;

namespace {

template <class T>
struct Matmul {
    struct Attrs {
        Trans ta, tb;  // op(A), op(B)
    };

    // Inputs a (A) and b (B); Y = op(A) op(B) is M x N, inner K.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto [ta, tb] = attrs<Matmul>(n);
        const Node<T>& A = *run.inputs_[0];
        const Node<T>& B = *run.inputs_[1];
        const int M = n.rows, N = n.cols, K = ta == Trans::N ? A.cols : A.rows;
        const int S = run.slots();
        const T* dY = run.out_adj();
        if (auto dA = run.grad(0, true); dA.data != nullptr) {
            if (ta == Trans::N) {  // dA = dY op(B)^T, all slots in one GEMM
                gemm(Trans::N, tb == Trans::N ? Trans::T : Trans::N, S * M, K, N, T(1), dY, N, B.value, B.cols, dA.beta, dA.data, K);
            } else {  // dA_s = op(B) dY_s^T
                for (int s = 0; s < S; ++s)
                    gemm(tb, Trans::T, K, M, N, T(1), B.value, B.cols, dY + std::size_t(s) * M * N, N, dA.beta,
                         dA.data + std::size_t(s) * K * M, M);
            }
        }
        if (auto dB = run.grad(1, true); dB.data != nullptr) {
            for (int s = 0; s < S; ++s) {
                const T* dYs = dY + std::size_t(s) * M * N;
                if (tb == Trans::N) {  // dB_s = op(A)^T dY_s
                    gemm(ta == Trans::N ? Trans::T : Trans::N, Trans::N, K, N, M, T(1), A.value, A.cols, dYs, N, dB.beta,
                         dB.data + std::size_t(s) * K * N, N);
                } else {  // dB_s = dY_s^T op(A)
                    gemm(Trans::T, ta, N, K, M, T(1), dYs, N, A.value, A.cols, dB.beta, dB.data + std::size_t(s) * N * K, K);
                }
            }
        }
    }
};

template <class T>
struct Linear {
    // inputs x [B x in], W [in x out], b [1 x out]; Y = x W + b.
    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const Node<T>& x = *run.inputs_[0];
        const Node<T>& W = *run.inputs_[1];
        const int B = n.rows, out = n.cols, in = x.cols, S = run.slots();
        const T* dY = run.out_adj();
        if (auto dx = run.grad(0, true); dx.data != nullptr) {  // dx = dY W^T, all slots at once
            gemm(Trans::N, Trans::T, S * B, in, out, T(1), dY, out, W.value, out, dx.beta, dx.data, in);
        }
        if (auto dW = run.grad(1, true); dW.data != nullptr) {  // dW_s = x^T dY_s
            for (int s = 0; s < S; ++s)
                gemm(Trans::T, Trans::N, in, out, B, T(1), x.value, in, dY + std::size_t(s) * B * out, out, dW.beta,
                     dW.data + std::size_t(s) * in * out, out);
        }
        if (auto db = run.grad(2, true); db.data != nullptr) {  // db_s = column sums of dY_s
            for (int s = 0; s < S; ++s)
                hyda::col_sums(std::size_t(B), std::size_t(out), dY + std::size_t(s) * B * out, std::size_t(out), db.data + std::size_t(s) * out, db.beta);
        }
    }
};

}  // namespace

template <class T>
Var<T> matmul(Var<T> a, Var<T> b, Trans ta, Trans tb) {
    detail::TapeState<T>& tape = detail::same_tape("matmul", a, b);
    const Node<T>& A = tape.node(a);
    const Node<T>& B = tape.node(b);
    const int M = ta == Trans::N ? A.rows : A.cols, K = ta == Trans::N ? A.cols : A.rows;
    const int Kb = tb == Trans::N ? B.rows : B.cols, N = tb == Trans::N ? B.cols : B.rows;
    if (K != Kb) {
        detail::shape_error("matmul", "inner dimensions differ: op(" + describe(A) + ") has " + std::to_string(K) +
                                          " columns, op(" + describe(B) + ") has " + std::to_string(Kb) + " rows");
    }
    const T* av = A.value;
    const T* bv = B.value;
    const int lda = A.cols, ldb = B.cols;
    Var<T> y = tape.record(detail::make_node<T>("matmul", M, N, &Matmul<T>::backward, {a.id, b.id}, typename Matmul<T>::Attrs{ta, tb}));
    gemm(ta, tb, M, N, K, T(1), av, lda, bv, ldb, T(0), tape.node(y).value, N);
    return y;
}

template <class T>
Var<T> linear(Var<T> x, Var<T> W, Var<T> b) {
    detail::TapeState<T>& tape = detail::same_tape("linear", x, W);
    detail::same_tape("linear", x, b);
    const Node<T>& X = tape.node(x);
    const Node<T>& Wn = tape.node(W);
    const Node<T>& bn = tape.node(b);
    if (X.cols != Wn.rows) {
        detail::shape_error("linear", "input " + describe(X) + " has " + std::to_string(X.cols) + " features, weight " +
                                          describe(Wn) + " expects " + std::to_string(Wn.rows));
    }
    if (bn.rows != 1 || bn.cols != Wn.cols) {
        detail::shape_error("linear", "bias " + describe(bn) + " must be [1 x " + std::to_string(Wn.cols) + "] for weight " + describe(Wn));
    }
    const int B = X.rows, in = X.cols, out = Wn.cols;
    const T* xv = X.value;
    const T* wv = Wn.value;
    const T* bv = bn.value;
    Var<T> y = tape.record(detail::make_node<T>("linear", B, out, &Linear<T>::backward, {x.id, W.id, b.id}));
    gemm(Trans::N, Trans::N, B, out, in, T(1), xv, in, wv, out, T(0), tape.node(y).value, out, bv);
    return y;
}

template Var<float> matmul(Var<float>, Var<float>, Trans, Trans);
template Var<double> matmul(Var<double>, Var<double>, Trans, Trans);
template Var<float> linear(Var<float>, Var<float>, Var<float>);
template Var<double> linear(Var<double>, Var<double>, Var<double>);

}  // namespace hyda::ad
