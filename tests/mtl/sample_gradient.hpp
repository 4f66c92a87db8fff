#pragma once
// Per-sample gradients the hard way, for the sample-weighting tests' references: one
// backward pass on one row.
#include <vector>

#include "gradient_vectors.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"

namespace hyda::test {

// The gradient of task k's loss on row r alone over the shared parameters, flattened in
// Trainer::inspect()'s order.
inline Vec sample_gradient(const mtl::Model<double>& model, const mtl::Dataset<double>& data, int r, int k) {
    ad::Tape<double> tape;
    const double label = data.labels[std::size_t(k)][std::size_t(r)], mask = 1;
    const auto x = tape.input(data.x.data() + std::size_t(r) * data.features, 1, data.features, "x");
    const auto out = model.task_output(tape, x, false, k);
    tape.backward(mtl::Model<double>::loss(model.spec().tasks[std::size_t(k)], out, tape.input(&label, 1, 1, "y"), tape.input(&mask, 1, 1, "m")));
    Vec g;
    for (std::size_t i = 0; i < model.shared_count(); ++i) {
        const auto& p = *model.parameters()[i];
        g.insert(g.end(), p.grad().data(), p.grad().data() + p.size());
    }
    return g;
}

}  // namespace hyda::test
