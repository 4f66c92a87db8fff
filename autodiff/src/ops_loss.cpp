// Losses: MSE, Huber, BCE-with-logits, softmax cross-entropy. Each reduces to
//   L = sum_i c_i loss_i,  c_i = mask_i weight_i / sum_j mask_j,
// a mean over the labelled samples; samples with mask 0 are never read (their labels
// may be NaN). The per-sample coefficients c_i are kept for the backward pass, where a
// per-sample seed, if the sweep has one for this loss, multiplies them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "op_util.hpp"

namespace hyda::ad {

using detail::describe;

namespace {

enum class LossKind { mse, huber, bce, softmax_ce };

// Checks the optional per-sample vectors and fills c; returns the number of labelled samples.
template <class T>
void sample_coefficients(const char* op, const detail::TapeState<T>& tape, const Node<T>& pred, const LossOptions<T>& opt, T* c) {
    const int n = pred.rows;
    const T* w = nullptr;
    const T* m = nullptr;
    const Node<T>* weight_node = nullptr;
    const Node<T>* mask_node = nullptr;
    for (const auto& [var, what, out, node] : {std::tuple{opt.weight, "weight", &w, &weight_node}, std::tuple{opt.mask, "mask", &m, &mask_node}}) {
        if (!var) continue;
        const Node<T>& v = tape.node(var);
        if (v.rows != n || v.cols != 1) {
            detail::shape_error(op, std::string(what) + " " + describe(v) + " must be [" + std::to_string(n) + " x 1] for " + describe(pred));
        }
        if (v.requires_grad) detail::shape_error(op, std::string(what) + " " + describe(v) + " must not depend on parameters");
        *out = v.value;
        *node = &v;
    }
    // A mask is 0 (no label) or 1; a weight of a labelled sample is finite and >= 0.
    auto bad = [&](const char* what, const Node<T>& v, int row, T value, const char* expected) {
        detail::shape_error(op, std::string(what) + " " + describe(v) + " row " + std::to_string(row) + " is " + std::to_string(value) + ", expected " + expected);
    };
    T labelled = T(0);
    for (int i = 0; i < n; ++i) {
        if (m != nullptr && m[i] != T(0) && m[i] != T(1)) bad("mask", *mask_node, i, m[i], "0 or 1");
        labelled += (m == nullptr || m[i] != T(0)) ? T(1) : T(0);
    }
    for (int i = 0; i < n; ++i) {
        const bool present = m == nullptr || m[i] != T(0);
        if (present && w != nullptr && !(std::isfinite(w[i]) && w[i] >= T(0))) bad("weight", *weight_node, i, w[i], "a finite value >= 0");
        c[i] = present ? (w ? w[i] : T(1)) / labelled : T(0);
    }
}

template <class T>
void check_label(const char* op, const Node<T>& labels, int row, T y) {
    if (!std::isfinite(y)) {
        detail::shape_error(op, "label " + describe(labels) + " row " + std::to_string(row) + " is " + std::to_string(y) +
                                    " (mark missing labels with the mask instead)");
    }
}

// Inputs pred (or logits) and target (or labels).
template <class T>
struct Loss {
    struct Attrs {
        LossKind kind;
        T delta;        // Huber's threshold
        const T* c;     // per sample: its coefficient c_i (0 for a masked sample)
        T* per_sample;  // per sample: softplus(z) or logsumexp(z) from forward; sigmoid(z) in backward
        T* probs;       // a row of scratch: softmax(z_i)
    };

    static void backward(const Node<T>& n, BackwardRun<T>& run) {
        const auto dp = run.grad(0, false);
        const auto dt = run.grad(1, false);  // regression targets may be computed values
        const auto [kind, delta, c, per_sample, probs] = attrs<Loss>(n);
        const Node<T>& P = *run.inputs_[0];
        const int rows = P.rows, cols = P.cols;
        const T* p = n.input_value[0];
        const T* t = n.input_value[1];
        if (kind == LossKind::bce && dp.data != nullptr) hyda::sigmoid(std::size_t(rows), p, per_sample);
        for (int s = 0; s < run.slots(); ++s) {
            const T* seed = run.sample_seed(s);
            for (int i = 0; i < rows; ++i) {
                if (c[i] == T(0)) continue;
                // Sample i's factor: the loss's adjoint, the sample's coefficient and seed.
                const T f = run.out_adj()[s] * c[i] * (seed ? seed[i] : T(1));
                const T* pi = p + std::size_t(i) * cols;
                T* dpi = dp.data ? dp.data + std::size_t(s) * P.size() + std::size_t(i) * cols : nullptr;
                switch (kind) {
                    case LossKind::mse:
                    case LossKind::huber: {
                        T* dti = dt.data ? dt.data + std::size_t(s) * P.size() + std::size_t(i) * cols : nullptr;
                        for (int j = 0; j < cols; ++j) {
                            T r = pi[j] - t[std::size_t(i) * cols + j];
                            if (kind == LossKind::huber) r = std::clamp(r, -delta, delta);
                            const T g = f * (kind == LossKind::mse ? T(2) : T(1)) * r / T(cols);
                            if (dpi) dpi[j] += g;
                            if (dti) dti[j] -= g;
                        }
                        break;
                    }
                    case LossKind::bce:  // d/dz (softplus(z) - y z) = sigmoid(z) - y
                        if (dpi) dpi[0] += f * (per_sample[i] - t[i]);
                        break;
                    case LossKind::softmax_ce: {  // softmax(z) - onehot(y), softmax = exp(z - lse)
                        if (!dpi) break;
                        const T lse = per_sample[i];
                        for (int j = 0; j < cols; ++j) probs[j] = pi[j] - lse;
                        hyda::exp(std::size_t(cols), probs, probs);
                        hyda::axpy(std::size_t(cols), f, probs, dpi);
                        dpi[int(t[i])] -= f;
                        break;
                    }
                }
            }
        }
    }
};

template <class T>
Var<T> loss(const char* op, LossKind kind, Var<T> pred, Var<T> target, const LossOptions<T>& opt, T delta = T(0)) {
    detail::TapeState<T>& tape = detail::same_tape(op, pred, target);
    const Node<T>& P = tape.node(pred);
    const Node<T>& Y = tape.node(target);
    const int rows = P.rows, cols = P.cols;
    if (kind == LossKind::mse || kind == LossKind::huber) {
        if (Y.rows != rows || Y.cols != cols) detail::shape_error(op, "target " + describe(Y) + " must match prediction " + describe(P));
    } else {
        if (kind == LossKind::bce && cols != 1) detail::shape_error(op, "logits " + describe(P) + " must have one column");
        if (Y.rows != rows || Y.cols != 1) detail::shape_error(op, "labels " + describe(Y) + " must be [" + std::to_string(rows) + " x 1]");
        if (Y.requires_grad) detail::shape_error(op, "labels " + describe(Y) + " must not depend on parameters");
    }
    if (rows == 0) detail::shape_error(op, "no samples in " + describe(P));
    if (delta < T(0) || (kind == LossKind::huber && !(delta > T(0)))) detail::shape_error(op, "delta must be positive");

    T* c = tape.scratch(2 * std::size_t(rows) + std::size_t(cols));  // c, per_sample, probs
    T* per_sample = c + rows;
    sample_coefficients(op, tape, P, opt, c);
    const T* p = P.value;
    const T* t = Y.value;

    T total = T(0);
    switch (kind) {
        case LossKind::mse:
        case LossKind::huber:
            for (int i = 0; i < rows; ++i) {
                if (c[i] == T(0)) continue;
                T li = T(0);
                for (int j = 0; j < cols; ++j) {
                    const T y = t[std::size_t(i) * cols + j];
                    check_label(op, Y, i, y);
                    const T r = p[std::size_t(i) * cols + j] - y, a = std::abs(r);
                    li += kind == LossKind::mse ? r * r : (a <= delta ? T(0.5) * r * r : delta * (a - T(0.5) * delta));
                }
                total += c[i] * li / T(cols);
            }
            break;
        case LossKind::bce:
            hyda::softplus(std::size_t(rows), p, per_sample);
            for (int i = 0; i < rows; ++i) {
                if (c[i] == T(0)) continue;
                check_label(op, Y, i, t[i]);
                if (t[i] != T(0) && t[i] != T(1)) detail::shape_error(op, "label " + describe(Y) + " row " + std::to_string(i) + " is not 0 or 1");
                total += c[i] * (per_sample[i] - t[i] * p[i]);
            }
            break;
        case LossKind::softmax_ce:
            hyda::row_logsumexp(std::size_t(rows), std::size_t(cols), p, std::size_t(cols), per_sample);
            for (int i = 0; i < rows; ++i) {
                if (c[i] == T(0)) continue;
                check_label(op, Y, i, t[i]);
                // The range first: converting a value outside int's range to int is undefined.
                if (!(t[i] >= T(0) && t[i] < T(cols)) || T(int(t[i])) != t[i]) {
                    detail::shape_error(op, "label " + describe(Y) + " row " + std::to_string(i) + " is " + std::to_string(t[i]) +
                                                ", not a class index in [0, " + std::to_string(cols) + ")");
                }
                const int label = int(t[i]);
                total += c[i] * (per_sample[i] - p[std::size_t(i) * cols + label]);
            }
            break;
    }
    Node<T> n = detail::make_node<T>(op, 1, 1, &Loss<T>::backward, {pred.id, target.id},
                                     typename Loss<T>::Attrs{kind, delta, c, per_sample, per_sample + rows});
    n.is_loss = true;
    Var<T> y = tape.record(std::move(n));
    tape.node(y).value[0] = total;
    return y;
}

}  // namespace

template <class T> Var<T> mse(Var<T> pred, Var<T> target, LossOptions<T> opt) { return loss("mse", LossKind::mse, pred, target, opt); }
template <class T> Var<T> huber(Var<T> pred, Var<T> target, T delta, LossOptions<T> opt) {
    return loss("huber", LossKind::huber, pred, target, opt, delta);
}
template <class T> Var<T> bce_with_logits(Var<T> logits, Var<T> labels, LossOptions<T> opt) {
    return loss("bce_with_logits", LossKind::bce, logits, labels, opt);
}
template <class T> Var<T> softmax_cross_entropy(Var<T> logits, Var<T> labels, LossOptions<T> opt) {
    return loss("softmax_cross_entropy", LossKind::softmax_ce, logits, labels, opt);
}

#define HYDA_INSTANTIATE(T)                                                  \
    template Var<T> mse(Var<T>, Var<T>, LossOptions<T>);                     \
    template Var<T> huber(Var<T>, Var<T>, T, LossOptions<T>);                \
    template Var<T> bce_with_logits(Var<T>, Var<T>, LossOptions<T>);         \
    template Var<T> softmax_cross_entropy(Var<T>, Var<T>, LossOptions<T>);
HYDA_INSTANTIATE(float)
HYDA_INSTANTIATE(double)
#undef HYDA_INSTANTIATE

}  // namespace hyda::ad
