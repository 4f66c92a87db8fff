#pragma once
// The tape: records operations during the forward pass, then runs reverse sweeps.
//
// Nodes, forward values and adjoints live in an arena owned by the tape; reset() forgets
// the nodes but keeps the memory, so after the first steps a training step allocates
// nothing. Ops (ops.hpp) are free functions on Var handles.
//
//     Tape<float> tape;
//     for each step:
//         tape.reset();
//         Var x = tape.input(batch.data(), B, D, "x");
//         Var loss = mean(relu(linear(x, tape.param(W), tape.param(b))));
//         tape.backward(loss);          // W.grad(), b.grad()
//
// backward_multi({L_1, ..., L_K}) runs ONE reverse sweep that yields the gradient of
// each L_k separately (Parameter::task_grad(k)). A node's adjoint carries one slot per
// loss that reaches it: a task head carries one, a shared trunk K, and a matmul's
// backward over K slots runs as one GEMM with K times the rows.
//
// Errors: input, param, backward and backward_multi check their arguments before they
// change anything, so when one throws std::invalid_argument the tape, its Vars and the
// parameters are as they were (the last sweep's gradients and adjoints included). If
// memory runs out during a sweep, that sweep's gradients and adjoints are unspecified,
// but the tape and the parameters stay usable and the next sweep recomputes them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "hyda/autodiff/parameter.hpp"
#include "hyda/autodiff/state.hpp"
#include "hyda/kernels/gemm.hpp"

// Internal: declared before the exported part below, so the shared library hides it.
namespace hyda::ad::detail {
template <class T> struct TapeState;  // the recording, for ops (src/tape_state.hpp)
}

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

template <class T> class Tape;

// A handle to a node of a tape: cheap to copy, and every copy names the same node. It
// stays valid until the tape's next reset().
template <class T>
struct Var {
    Tape<T>* tape = nullptr;
    int id = -1;
    std::uint32_t epoch = 0;  // the tape's reset count when the node was recorded

    explicit operator bool() const { return tape != nullptr; }
    int rows() const;
    int cols() const;
    const T* data() const;        // the forward value, rows x cols, row-major
    T item() const;               // the value of a 1 x 1 node
    std::string_view name() const;
};

// Per-sample options of a loss. Both are optional (empty Var) and have one entry per
// sample (rows x 1): sample i contributes weight[i] * loss_i, and only if mask[i] != 0.
// The loss is sum_i mask_i weight_i loss_i / sum_i mask_i (a mean over labelled samples).
template <class T>
struct LossOptions {
    Var<T> weight;
    Var<T> mask;
};

template <class T>
class Tape {
public:
    // seed drives dropout masks.
    explicit Tape(std::uint64_t seed = 0);
    ~Tape();
    // Neither copied nor moved: every Var holds the tape's address.
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;
    Tape(Tape&&) = delete;
    Tape& operator=(Tape&&) = delete;

    // Forgets every node (Vars of this tape become invalid) and keeps the memory.
    void reset() noexcept;

    // A constant: the tape reads `data` (rows x cols, row-major) without copying it, so it
    // must stay alive and unchanged until the last backward of this step.
    Var<T> input(const T* data, int rows, int cols, std::string_view name = "input");
    Var<T> input(const Tensor<T>& t, std::string_view name = "input") { return input(t.data(), t.rows(), t.cols(), name); }
    // A trainable leaf; backward writes p.grad(), backward_multi p.task_grad(k).
    Var<T> param(Parameter<T>& p);

    // Reverse sweep from a 1 x 1 loss: fills grad() of every parameter (zero where the
    // loss does not depend on it).
    void backward(Var<T> loss);

    // One reverse sweep for K <= 64 losses (each 1 x 1). Parameter::task_grad(k) then
    // holds dL_k/dtheta. per_sample_seeds, if given, has one entry per loss: nullptr or a
    // vector with one factor per sample of that loss (the loss op must be one of the
    // loss functions), which scales each sample's contribution to the gradient.
    void backward_multi(std::span<const Var<T>> losses, std::span<const T* const> per_sample_seeds = {});

    // After a sweep: v's adjoint for loss k (its index in that sweep's losses; 0 after
    // backward), dL_k/dv as rows x cols, or nullptr where L_k does not depend on v. Lets a
    // caller read per-sample quantities (a row of a layer's output adjoint belongs to one
    // sample) without materialising per-sample gradients. Valid until the next sweep or
    // reset(). An activation, dropout or softmax whose input has no other consumer, and a
    // mix_add whose running sum has none, hands its adjoint buffer on to that input (its
    // backward works in place), so for such an op's output this throws std::logic_error:
    // read the input's adjoint.
    const T* adjoint(Var<T> v, int k) const;
    // Keeps v's adjoint readable by adjoint() after the sweeps of this recording: an
    // activation or dropout output then keeps its own buffer instead of lending it to its
    // input (one more buffer of v's size per loss reaching it). For a layer output whose
    // per-loss adjoints a caller reads (the trunk output of the upper-bound methods).
    void keep_adjoint(Var<T> v);
    // For the sweeps of this recording: the losses in `losses` (bit k: loss k of the
    // sweep; backward's loss is loss 0) send no gradient into the parameter leaf p, so
    // its task_grad(k) (grad() for backward) is zero and the sweep spends no work on it,
    // while every node's adjoints and every other gradient are what they would be. For a
    // caller that forms those gradients itself from the adjoints (HydaLearn's gain=sample
    // rescales the auxiliary tasks' rows). A later call for p replaces the mask; throws
    // std::invalid_argument if p is not a parameter leaf.
    void skip_param_grad(Var<T> p, std::uint64_t losses);

    std::size_t size() const;  // number of nodes recorded since reset()

    // The state a later step reads: the dropout Rng's position (state.hpp).
    void visit_state(StateVisitor& v);

private:
    friend struct detail::TapeState<T>;
    std::unique_ptr<detail::TapeState<T>> state_;
};

}  // namespace hyda::ad
#pragma GCC visibility pop
