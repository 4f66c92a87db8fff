#pragma once
// Internal: a node of the tape and what an op's backward sees.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "hyda/autodiff/tape.hpp"

namespace hyda::ad {

template <class T> class BackwardRun;

template <class T>
struct Node {
    // The op's backward for one run of adjoint slots; nullptr for leaves.
    using Backward = void (*)(const Node&, BackwardRun<T>&);

    Backward backward = nullptr;
    std::string_view name;  // op name, parameter name, or input name (copied to the arena)
    int rows = 0, cols = 0;
    int in[3] = {-1, -1, -1};
    bool requires_grad = false;  // depends on a parameter
    bool is_loss = false;        // a loss function: accepts per-sample seeds
    // An op whose backward may write the adjoint of its input 0 over its own (dx and dy
    // aliased element for element: the same shape).
    bool backward_in_place = false;
    bool keep_adjoint = false;   // Tape::keep_adjoint: never lend adj to an input
    std::uint64_t skip_grad = 0; // Tape::skip_param_grad: losses that leave this parameter's gradient zero
    T* value = nullptr;          // forward value, rows x cols
    Parameter<T>* param = nullptr;

    const T* input_value[3] = {nullptr, nullptr, nullptr};  // forward values of the inputs
    // The op's attributes: the named fields of its struct Attrs, copied in (no allocation,
    // no indirection) by make_node and out by attrs<Op>(node).
    std::byte attrs_storage[40] = {};

    // Filled by a reverse sweep.
    std::uint64_t reach = 0;    // losses whose gradient flows through this node
    std::uint64_t touched = 0;  // losses whose adjoint slot has been written
    T* adj = nullptr;           // popcount(reach) slots of rows x cols
    int consumers = 0;          // ops sending this node a gradient (a loss's seed counts)
    int consumer = -1;          // the last of them
    bool adj_taken = false;     // an input took over adj, so the backward overwrote it
    const T* const* sample_seeds = nullptr;  // per loss: per-sample seed or nullptr

    std::size_t size() const { return std::size_t(rows) * std::size_t(cols); }
};

// The attributes a node of op `Op` was made with (Op::Attrs, see make_node).
template <class Op, class T>
typename Op::Attrs attrs(const Node<T>& n) {
    assert(n.backward == &Op::backward && "a node read as another op's");
    typename Op::Attrs a;
    std::memcpy(&a, n.attrs_storage, sizeof a);
    return a;
}

// Zeroes the slots of adj (one per bit of `slots`, in bit order, `size` elements each)
// whose bit is also set in `zero`.
template <class T>
void zero_slots(T* adj, std::size_t size, std::uint64_t slots, std::uint64_t zero) {
    int s = 0;
    for (std::uint64_t m = slots; m != 0; m &= m - 1, ++s) {
        if (zero & (m & -m)) std::memset(adj + std::size_t(s) * size, 0, sizeof(T) * size);
    }
}

// One call of an op's backward: `slots` consecutive adjoint slots of the output and,
// for each input, the matching consecutive slots of its adjoint.
template <class T>
class BackwardRun {
public:
    struct Grad {
        T* data;  // slots x (input rows x cols), or nullptr: the input needs no gradient
        T beta;   // 0: the slots are untouched, the op must overwrite all of them; 1: accumulate
    };

    int slots() const { return slots_; }
    const T* out_adj() const { return out_adj_; }
    // The per-sample seed of output slot s (losses only), or nullptr.
    const T* sample_seed(int s) const { return sample_seeds_ == nullptr ? nullptr : sample_seeds_[s]; }

    // The adjoint slots of input i. An op that writes every element can take them with
    // overwrite_ok (beta 0 where untouched, saving a pass); otherwise untouched slots are
    // zeroed first and beta is 1. nullptr: the input takes no gradient from this run.
    Grad grad(int i, bool overwrite_ok);

    // Set by the sweep.
    const Node<T>* node_ = nullptr;
    Node<T>* inputs_[3] = {nullptr, nullptr, nullptr};
    int in_slot_[3] = {0, 0, 0};
    std::uint64_t seeds_ = 0;  // the losses of this run
    int slots_ = 0;
    const T* out_adj_ = nullptr;
    const T* const* sample_seeds_ = nullptr;
};

template <class T>
typename BackwardRun<T>::Grad BackwardRun<T>::grad(int i, bool overwrite_ok) {
    Node<T>* in = inputs_[i];
    // A run's losses are all skipped by an input or none (the sweep splits runs there).
    if (in == nullptr || !in->requires_grad || (seeds_ & in->skip_grad) != 0) return {nullptr, T(0)};
    T* data = in->adj + std::size_t(in_slot_[i]) * in->size();
    const std::uint64_t fresh = seeds_ & ~in->touched;
    in->touched |= seeds_;
    if (fresh == 0) return {data, T(1)};
    if (fresh == seeds_ && overwrite_ok) return {data, T(0)};
    zero_slots(data, in->size(), seeds_, fresh);  // seeds_ lists our slots in slot order
    return {data, T(1)};
}

}  // namespace hyda::ad
