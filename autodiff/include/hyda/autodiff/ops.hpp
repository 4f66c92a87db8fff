#pragma once
// Differentiable operations on tape values. Each takes and returns Var handles of one
// tape; shapes are checked and a mismatch throws std::invalid_argument naming the op,
// the nodes and their shapes (an op that throws records nothing). Forward and backward
// of each op sit side by side in autodiff/src/ops_*.cpp.
#include "hyda/autodiff/tape.hpp"
#include "hyda/kernels/export.hpp"
#include "hyda/kernels/gemm.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

enum class Axis { rows, cols };

// op(a) * op(b), op(x) = x or x^T.
template <class T> HYDA_EXPORT Var<T> matmul(Var<T> a, Var<T> b, Trans ta = Trans::N, Trans tb = Trans::N);
// x * W + b: x [n x in], W [in x out], b [1 x out]. One node (the bias is added in the GEMM).
template <class T> HYDA_EXPORT Var<T> linear(Var<T> x, Var<T> W, Var<T> b);

// Elementwise with broadcasting: b may have a's shape, or be [1 x cols] (added to every
// row), [rows x 1] (to every column) or [1 x 1].
template <class T> HYDA_EXPORT Var<T> add(Var<T> a, Var<T> b);
template <class T> HYDA_EXPORT Var<T> sub(Var<T> a, Var<T> b);
template <class T> HYDA_EXPORT Var<T> mul(Var<T> a, Var<T> b);
template <class T> HYDA_EXPORT Var<T> div(Var<T> a, Var<T> b);
template <class T> Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <class T> Var<T> operator-(Var<T> a, Var<T> b) { return sub(a, b); }
template <class T> Var<T> operator*(Var<T> a, Var<T> b) { return mul(a, b); }
template <class T> Var<T> operator/(Var<T> a, Var<T> b) { return div(a, b); }

template <class T> HYDA_EXPORT Var<T> relu(Var<T> x);
template <class T> HYDA_EXPORT Var<T> leaky_relu(Var<T> x, T slope = T(0.01));
template <class T> HYDA_EXPORT Var<T> gelu(Var<T> x);
template <class T> HYDA_EXPORT Var<T> tanh(Var<T> x);
template <class T> HYDA_EXPORT Var<T> sigmoid(Var<T> x);
// Row-wise softmax: y[r, j] = exp(x[r, j]) / sum_i exp(x[r, i]), stable for any finite x.
template <class T> HYDA_EXPORT Var<T> softmax(Var<T> x);
// One term of a gated mixture sum_e w[:, e] * x_e: acc + w[:, column] * x, each row of x
// [n x h] scaled by its row's weight in w [n x gates]. acc [n x h] may be empty (the
// first term). A chain of them costs one pass per term forward and two backward.
template <class T> HYDA_EXPORT Var<T> mix_add(Var<T> acc, Var<T> x, Var<T> w, int column);

// Sum and mean of all elements: [1 x 1].
template <class T> HYDA_EXPORT Var<T> sum(Var<T> x);
template <class T> HYDA_EXPORT Var<T> mean(Var<T> x);

// Concatenation along rows (stacking) or columns (side by side), and the slice
// [begin, end) of rows or columns.
template <class T> HYDA_EXPORT Var<T> concat(Var<T> a, Var<T> b, Axis axis);
template <class T> HYDA_EXPORT Var<T> slice(Var<T> x, Axis axis, int begin, int end);

// Inverted dropout: zeroes each element with probability p and scales the rest by
// 1 / (1 - p). The mask comes from the tape's seeded generator.
template <class T> HYDA_EXPORT Var<T> dropout(Var<T> x, T p);

// Losses, each [1 x 1] (see LossOptions for per-sample weights and missing labels).
// pred/target [n x c]: mean over the c outputs of (pred - target)^2.
template <class T> HYDA_EXPORT Var<T> mse(Var<T> pred, Var<T> target, LossOptions<T> opt = {});
// Huber with threshold delta: r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond.
template <class T> HYDA_EXPORT Var<T> huber(Var<T> pred, Var<T> target, T delta = T(1), LossOptions<T> opt = {});
// logits/labels [n x 1], labels in {0, 1}: softplus(z) - y z, stable for any |z|.
template <class T> HYDA_EXPORT Var<T> bce_with_logits(Var<T> logits, Var<T> labels, LossOptions<T> opt = {});
// logits [n x c], labels [n x 1] holding class indices 0..c-1: logsumexp(z) - z_label.
template <class T> HYDA_EXPORT Var<T> softmax_cross_entropy(Var<T> logits, Var<T> labels, LossOptions<T> opt = {});

}  // namespace hyda::ad
#pragma GCC visibility pop
