// The tape: recording, and the reverse sweep shared by backward and backward_multi.
#include "hyda/autodiff/tape.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "parameter_access.hpp"
#include "tape_state.hpp"

namespace hyda::ad {

namespace {

// Slot of loss k in a node reached by `mask`: the losses are stored in increasing order.
int slot_of(std::uint64_t mask, int k) { return std::popcount(mask & ((std::uint64_t(1) << k) - 1)); }

std::string describe(std::string_view name, int id, int rows, int cols) {
    return "'" + std::string(name) + "' (node " + std::to_string(id) + ", " + shape_string(rows, cols) + ")";
}

}  // namespace

template <class T>
Tape<T>::Tape(std::uint64_t seed) : state_(std::make_unique<detail::TapeState<T>>(*this, seed)) {}

template <class T>
Tape<T>::~Tape() = default;

template <class T>
void Tape<T>::reset() noexcept {
    state_->nodes.clear();
    state_->params.clear();
    state_->arena.reset();
    ++state_->epoch;
}

template <class T>
std::size_t Tape<T>::size() const {
    return state_->nodes.size();
}

template <class T>
void Tape<T>::visit_state(StateVisitor& v) {
    v("dropout_rng", state_->rng);
}

template <class T>
Var<T> Tape<T>::input(const T* data, int rows, int cols, std::string_view name) {
    if (rows < 0 || cols < 0 || (data == nullptr && rows > 0 && cols > 0)) {
        throw std::invalid_argument("input '" + std::string(name) + "': invalid data or shape " + shape_string(rows, cols));
    }
    auto& state = *state_;
    char* label = static_cast<char*>(state.arena.allocate(name.size() + 1));
    std::memcpy(label, name.data(), name.size());
    Node<T> n;
    n.name = std::string_view(label, name.size());
    n.rows = rows;
    n.cols = cols;
    n.value = const_cast<T*>(data);  // never written: inputs have no backward
    return state.record(std::move(n));
}

template <class T>
Var<T> Tape<T>::param(Parameter<T>& p) {
    auto& state = *state_;
    for (const auto& [q, id] : state.params) {
        if (q == &p) return Var<T>{this, id, state.epoch};  // one leaf per parameter
    }
    detail::check_shape("param", p);
    Node<T> n;
    n.name = p.name();
    n.rows = p.rows();
    n.cols = p.cols();
    n.value = p.value().data();
    n.param = &p;
    n.requires_grad = true;
    state.params.emplace_back(&p, int(state.nodes.size()));  // the id record() gives the leaf
    try {
        return state.record(std::move(n));
    } catch (...) {
        state.params.pop_back();  // no leaf without its entry, nor the reverse
        throw;
    }
}

namespace {

// The reverse sweep shared by backward (K = 1, into grad()) and backward_multi (into the
// task gradients).
template <class T>
void sweep(detail::TapeState<T>& state, std::span<const Var<T>> losses, std::span<const T* const> seeds, bool multi) {
    const char* what = multi ? "backward_multi" : "backward";
    const int K = int(losses.size());
    auto& nodes = state.nodes;

    // Every check first: a bad argument leaves the last sweep's results in place.
    if (K < 1 || K > 64) throw std::invalid_argument(std::string(what) + ": needs 1 to 64 losses, got " + std::to_string(K));
    if (!seeds.empty() && int(seeds.size()) != K) {
        throw std::invalid_argument(std::string(what) + ": " + std::to_string(seeds.size()) + " per-sample seeds for " +
                                    std::to_string(K) + " losses");
    }
    for (int k = 0; k < K; ++k) {
        const Node<T>& L = state.node(losses[k]);
        if (L.rows != 1 || L.cols != 1) {
            throw std::invalid_argument(std::string(what) + ": loss " + std::to_string(k) + " must be [1 x 1], got " +
                                        describe(L.name, losses[k].id, L.rows, L.cols));
        }
        if (!seeds.empty() && seeds[k] != nullptr && !L.is_loss) {
            throw std::invalid_argument(std::string(what) + ": per-sample seeds need a loss function, but loss " +
                                        std::to_string(k) + " is " + describe(L.name, losses[k].id, 1, 1));
        }
    }
    for (const auto& [p, id] : state.params) {  // the sweep writes rows x cols of the recording
        const Node<T>& n = nodes[std::size_t(id)];
        detail::check_shape(what, *p);
        if (p->rows() != n.rows || p->cols() != n.cols) {
            throw std::invalid_argument(std::string(what) + ": parameter '" + p->name() + "' was resized from " +
                                        shape_string(n.rows, n.cols) + " after it was recorded");
        }
    }

    for (Node<T>& n : nodes) {
        n.reach = n.touched = 0, n.adj = nullptr, n.sample_seeds = nullptr;
        n.consumers = 0, n.consumer = -1, n.adj_taken = false;
    }
    for (int k = 0; k < K; ++k) {
        Node<T>& L = state.node(losses[k]);
        L.reach |= std::uint64_t(1) << k;
        ++L.consumers;
    }

    // Which losses reach each node, in one backward pass over the recording.
    for (std::size_t id = nodes.size(); id-- > 0;) {
        const Node<T>& n = nodes[id];
        if (n.reach == 0 || !n.requires_grad) continue;
        for (int i = 0; i < 3 && n.in[i] >= 0; ++i) {
            Node<T>& in = nodes[std::size_t(n.in[i])];
            if (in.requires_grad) in.reach |= n.reach, ++in.consumers, in.consumer = int(id);
        }
    }

    // Adjoint storage: one slot per reaching loss; parameters write their own buffers. A
    // node whose one consumer works in place (an activation, dropout, softmax, a gated
    // sum's running total) and reads it as input 0 shares that consumer's buffer: it has
    // the same losses, so the same slots, and the consumer's backward turns dL/dy into
    // dL/dx there, sparing a buffer and a pass over fresh memory. Consumers come later on
    // the tape, so they are allocated first.
    for (std::size_t id = nodes.size(); id-- > 0;) {
        Node<T>& n = nodes[id];
        if (n.param != nullptr) {
            n.adj = multi ? detail::ParameterAccess<T>::prepare_task_grads(*n.param, n.reach) : n.param->grad().data();
            if (!multi && n.reach == 0) std::memset(n.adj, 0, sizeof(T) * n.size());
        } else if (n.reach != 0 && n.requires_grad) {
            Node<T>* c = n.consumers == 1 && n.consumer >= 0 ? &nodes[std::size_t(n.consumer)] : nullptr;
            if (c != nullptr && c->backward_in_place && c->in[0] == int(id) && !c->keep_adjoint) {
                n.adj = c->adj;
                c->adj_taken = true;
            } else {
                n.adj = state.scratch(std::size_t(std::popcount(n.reach)) * n.size());
            }
        }
    }

    // Seeds: dL_k/dL_k = 1, and the per-sample factors of each loss node's own losses.
    for (int k = 0; k < K; ++k) {
        Node<T>& L = state.node(losses[k]);
        if (!L.requires_grad) continue;
        L.adj[slot_of(L.reach, k)] = T(1);
        L.touched |= std::uint64_t(1) << k;
        if (!seeds.empty() && seeds[k] != nullptr) {
            if (L.sample_seeds == nullptr) {
                const int S = std::popcount(L.reach);
                auto** table = static_cast<const T**>(state.arena.allocate(sizeof(T*) * S));
                for (int s = 0; s < S; ++s) table[s] = nullptr;
                L.sample_seeds = table;
            }
            const_cast<const T**>(L.sample_seeds)[slot_of(L.reach, k)] = seeds[k];
        }
    }

    // The reverse sweep. Each node's slots are split into runs whose matching input
    // slots are consecutive too, and which an input's skip_grad takes whole or not at
    // all, so one backward call covers as many losses as it can.
    BackwardRun<T> run;
    for (std::size_t id = nodes.size(); id-- > 0;) {
        Node<T>& n = nodes[id];
        if (n.backward == nullptr || n.touched == 0) continue;  // a zero adjoint adds nothing
        zero_slots(n.adj, n.size(), n.reach, n.reach & ~n.touched);
        n.touched = n.reach;

        run.node_ = &n;
        for (int i = 0; i < 3; ++i) run.inputs_[i] = n.in[i] >= 0 ? &nodes[std::size_t(n.in[i])] : nullptr;
        int out_slot = 0;
        std::uint64_t rest = n.reach;
        while (rest != 0) {
            const int k0 = std::countr_zero(rest);
            for (int i = 0; i < 3; ++i) run.in_slot_[i] = run.inputs_[i] ? slot_of(run.inputs_[i]->reach, k0) : 0;
            std::uint64_t seeds_of_run = std::uint64_t(1) << k0;
            rest &= rest - 1;
            int slots = 1;
            while (rest != 0) {  // extend while every input's next slot follows on
                const int k = std::countr_zero(rest);
                bool consecutive = true;
                for (int i = 0; i < 3; ++i) {
                    const Node<T>* in = run.inputs_[i];
                    if (in && in->requires_grad &&
                        (slot_of(in->reach, k) != run.in_slot_[i] + slots || (((in->skip_grad >> k) ^ (in->skip_grad >> k0)) & 1)))
                        consecutive = false;
                }
                if (!consecutive) break;
                seeds_of_run |= std::uint64_t(1) << k;
                rest &= rest - 1;
                ++slots;
            }
            run.seeds_ = seeds_of_run;
            run.slots_ = slots;
            run.out_adj_ = n.adj + std::size_t(out_slot) * n.size();
            run.sample_seeds_ = n.sample_seeds ? n.sample_seeds + out_slot : nullptr;
            n.backward(n, run);
            out_slot += slots;
        }
    }

    // Parameter slots no op wrote to (skipped ones included) hold a zero gradient.
    for (const auto& [p, id] : state.params) {
        Node<T>& n = nodes[std::size_t(id)];
        zero_slots(n.adj, n.size(), n.reach, n.reach & ~n.touched);
        n.touched = n.reach;
    }
}

// The node behind a Var, for Var's accessors.
template <class T>
const Node<T>& node_of(Var<T> v) {
    if (v.tape == nullptr) throw std::invalid_argument("an empty Var (default-constructed) was read");
    return detail::TapeState<T>::of(*v.tape).node(v);
}

}  // namespace

template <class T>
void Tape<T>::backward(Var<T> loss) {
    sweep(*state_, std::span<const Var<T>>(&loss, 1), {}, false);
}

template <class T>
void Tape<T>::backward_multi(std::span<const Var<T>> losses, std::span<const T* const> per_sample_seeds) {
    sweep(*state_, losses, per_sample_seeds, true);
}

template <class T>
const T* Tape<T>::adjoint(Var<T> v, int k) const {
    const Node<T>& n = state_->node(v);
    if (k < 0 || k >= 64) throw std::invalid_argument("adjoint: loss index " + std::to_string(k) + " out of range");
    if (n.adj_taken) {
        throw std::logic_error("adjoint: the sweep overwrote the adjoint of " + describe(n.name, v.id, n.rows, n.cols) +
                               " in place with its input's (activations and dropout pass their buffer on): read its input's adjoint");
    }
    const std::uint64_t bit = std::uint64_t(1) << k;
    // A slot no op wrote to (a node the sweep skipped) holds no value: its adjoint is zero.
    if ((n.touched & bit) == 0) return nullptr;
    return n.adj + std::size_t(slot_of(n.reach, k)) * n.size();
}

template <class T>
void Tape<T>::keep_adjoint(Var<T> v) {
    state_->node(v).keep_adjoint = true;
}

template <class T>
void Tape<T>::skip_param_grad(Var<T> p, std::uint64_t losses) {
    Node<T>& n = state_->node(p);
    if (n.param == nullptr) throw std::invalid_argument("skip_param_grad: " + describe(n.name, p.id, n.rows, n.cols) + " is not a parameter");
    n.skip_grad = losses;
}

template <class T> int Var<T>::rows() const { return node_of(*this).rows; }
template <class T> int Var<T>::cols() const { return node_of(*this).cols; }
template <class T> const T* Var<T>::data() const { return node_of(*this).value; }
template <class T> std::string_view Var<T>::name() const { return node_of(*this).name; }
template <class T>
T Var<T>::item() const {
    const Node<T>& n = node_of(*this);
    if (n.rows != 1 || n.cols != 1) throw std::invalid_argument("item(): " + describe(n.name, id, n.rows, n.cols) + " is not [1 x 1]");
    return n.value[0];
}

template struct Var<float>;
template struct Var<double>;
template class Tape<float>;
template class Tape<double>;

}  // namespace hyda::ad
