#pragma once
// Saving and restoring the mutable state of an object (training checkpoints). An object
// with state lists it in ONE function, visit_state(StateVisitor&): one call per field, in
// a fixed order, each with a name and a reference. A visitor that saves reads the fields
// through the references; one that loads writes them. Save and load run the same code, so
// they cannot drift apart. The bytes are the visitor's business (hyda::mtl encodes
// checkpoints, docs/checkpoints.md); autodiff only lists what it holds.
//
// What is state: what a later step reads and an earlier one wrote (moments, running
// averages, an Rng's position). Settings fixed at construction and scratch buffers
// rewritten before they are read are not.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "hyda/autodiff/random.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

class StateVisitor {
public:
    virtual ~StateVisitor() = default;

    // True while loading: the fields are written, not read. For state whose shape is
    // itself state (a list that grows), which the owner rebuilds as it loads.
    virtual bool loading() const = 0;

    virtual void operator()(std::string_view name, bool& v) = 0;
    virtual void operator()(std::string_view name, int& v) = 0;
    virtual void operator()(std::string_view name, std::int64_t& v) = 0;
    virtual void operator()(std::string_view name, std::uint64_t& v) = 0;
    virtual void operator()(std::string_view name, double& v) = 0;
    // An array whose size the owner fixed: a load requires exactly that size.
    virtual void operator()(std::string_view name, std::span<float> v) = 0;
    virtual void operator()(std::string_view name, std::span<double> v) = 0;
    void operator()(std::string_view name, std::vector<float>& v) { (*this)(name, std::span<float>(v)); }
    void operator()(std::string_view name, std::vector<double>& v) { (*this)(name, std::span<double>(v)); }
    // An array whose size is part of the state (sized at a first step): a load resizes it.
    virtual void resizable(std::string_view name, std::vector<double>& v) = 0;

    // An Rng's position in its stream.
    void operator()(std::string_view name, Rng& rng) {
        std::uint64_t s = rng.state();
        (*this)(name, s);
        rng = Rng(s);
    }
};

}  // namespace hyda::ad
#pragma GCC visibility pop
