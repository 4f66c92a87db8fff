#pragma once
// Internal: a tape's recording, and what ops do with it (look up nodes, record a node,
// take scratch memory from the arena, draw dropout masks from the tape's Rng).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arena.hpp"
#include "hyda/autodiff/random.hpp"
#include "node.hpp"

namespace hyda::ad::detail {

template <class T>
struct TapeState {
    static TapeState& of(Tape<T>& tape) { return *tape.state_; }

    TapeState(Tape<T>& owner, std::uint64_t seed) : tape(&owner), rng(seed) { nodes.reserve(64); }

    // The node behind v; throws std::invalid_argument if v is empty, belongs to another
    // tape or was recorded before the last reset().
    const Node<T>& node(Var<T> v) const {
        if (v.tape == nullptr) throw std::invalid_argument("an empty Var (default-constructed) was used as an operand");
        if (v.tape != tape) throw std::invalid_argument("node " + std::to_string(v.id) + " belongs to another tape");
        if (v.epoch != epoch || v.id < 0 || std::size_t(v.id) >= nodes.size()) {
            throw std::invalid_argument("node " + std::to_string(v.id) + " was recorded before the tape's last reset()");
        }
        return nodes[std::size_t(v.id)];
    }
    Node<T>& node(Var<T> v) { return const_cast<Node<T>&>(std::as_const(*this).node(v)); }

    // Appends n (its inputs already recorded), allocating its value from the arena unless
    // it has one, and returns its handle.
    Var<T> record(Node<T>&& n) {
        for (int i = 0; i < 3 && n.in[i] >= 0; ++i) {
            const Node<T>& in = nodes[std::size_t(n.in[i])];
            n.requires_grad = n.requires_grad || in.requires_grad;
            n.input_value[i] = in.value;
        }
        if (n.value == nullptr) n.value = scratch(n.size());
        nodes.push_back(std::move(n));
        return Var<T>{tape, int(nodes.size()) - 1, epoch};
    }

    // `count` elements of memory that live until reset().
    T* scratch(std::size_t count) { return static_cast<T*>(arena.allocate(sizeof(T) * count)); }

    Tape<T>* tape;  // the owner: Vars point at it, and a Tape never moves
    std::vector<Node<T>> nodes;
    std::vector<std::pair<Parameter<T>*, int>> params;  // parameter -> its leaf node
    Arena arena;
    std::uint32_t epoch = 1;  // reset() count, stamped on every Var
    Rng rng;  // dropout masks
};

}  // namespace hyda::ad::detail
