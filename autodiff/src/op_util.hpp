#pragma once
// Internal helpers shared by the op files.
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tape_state.hpp"

namespace hyda::ad::detail {

template <class T>
std::string describe(const Node<T>& n) {
    return "'" + std::string(n.name) + "' " + shape_string(n.rows, n.cols);
}

[[noreturn]] inline void shape_error(const std::string& op, const std::string& what) {
    throw std::invalid_argument(op + ": " + what);
}

// The recording x belongs to (throws for an empty Var).
template <class T>
TapeState<T>& tape_of(const char* op, Var<T> x) {
    if (x.tape == nullptr) shape_error(op, "the operand is an empty Var");
    return TapeState<T>::of(*x.tape);
}

// The recording both operands belong to (throws if they differ).
template <class T>
TapeState<T>& same_tape(const char* op, Var<T> a, Var<T> b) {
    if (a.tape == nullptr || b.tape == nullptr) shape_error(op, "an operand is an empty Var");
    if (a.tape != b.tape) {
        shape_error(op, "operands come from different tapes ('" + std::string(a.name()) + "' and '" + std::string(b.name()) + "')");
    }
    return TapeState<T>::of(*a.tape);
}

struct NoAttrs {};

// A new node of `op` over the given inputs, with the given shape, backward and
// attributes (the backward's op struct's Attrs, read back with attrs<Op>(node)).
template <class T, class Attrs = NoAttrs>
Node<T> make_node(const char* op, int rows, int cols, typename Node<T>::Backward backward, std::initializer_list<int> inputs,
                  const Attrs& attrs = {}) {
    static_assert(std::is_trivially_copyable_v<Attrs> && sizeof(Attrs) <= sizeof(Node<T>::attrs_storage));
    Node<T> n;
    n.name = op;
    n.rows = rows;
    n.cols = cols;
    n.backward = backward;
    int i = 0;
    for (int id : inputs) n.in[i++] = id;
    std::memcpy(n.attrs_storage, &attrs, sizeof attrs);
    return n;
}

}  // namespace hyda::ad::detail
