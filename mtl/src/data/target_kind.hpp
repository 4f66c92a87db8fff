#pragma once
// The kind of a target given without one, decided from its column: shared by
// Preprocessor::fit and stratified_split, which must agree on it (a kind-less regression
// main split as if its every value were a class would put every row in train).
#include <cmath>

#include "hyda/mtl/preprocess.hpp"

namespace hyda::mtl::detail {

// A target without a kind (binary without a positive value): binary with positive 1 if
// its fields are numbers in {0, 1}, regression if other numbers, multiclass otherwise.
// Decided on every row of the column, not only the training rows.
inline TargetSpec decide_kind(const Column& column, TargetSpec spec) {
    if (spec.kind != TargetKind::binary || !spec.positive.empty()) return spec;
    if (!column.all_numbers()) {
        spec.kind = TargetKind::multiclass;
        return spec;
    }
    for (const double v : column.numbers)
        if (!std::isnan(v) && v != 0 && v != 1) {
            spec.kind = TargetKind::regression;
            return spec;
        }
    spec.positive = "1";
    return spec;
}

}  // namespace hyda::mtl::detail
