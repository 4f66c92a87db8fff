#pragma once
// Internal helpers shared by the op files.
#include <stdexcept>
#include <string>

#include "node.hpp"

namespace hyda::ad::detail {

template <class T>
std::string describe(const Node<T>& n) {
    return "'" + std::string(n.name) + "' " + shape_string(n.rows, n.cols);
}

[[noreturn]] inline void shape_error(const std::string& op, const std::string& what) {
    throw std::invalid_argument(op + ": " + what);
}

// The tape both operands belong to (throws if they differ).
template <class T>
Tape<T>& same_tape(const char* op, Var<T> a, Var<T> b) {
    if (a.tape == nullptr || b.tape == nullptr) shape_error(op, "an operand is an empty Var");
    if (a.tape != b.tape) {
        shape_error(op, "operands come from different tapes ('" + std::string(a.name()) + "' and '" + std::string(b.name()) + "')");
    }
    return *a.tape;
}

// A new node of `op` over the given inputs, with the given shape and backward.
template <class T>
Node<T> make_node(const char* op, int rows, int cols, typename Node<T>::Backward backward, std::initializer_list<int> inputs) {
    Node<T> n;
    n.name = op;
    n.rows = rows;
    n.cols = cols;
    n.backward = backward;
    int i = 0;
    for (int id : inputs) n.in[i++] = id;
    return n;
}

}  // namespace hyda::ad::detail
