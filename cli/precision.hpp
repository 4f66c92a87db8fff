#pragma once
// Runs f(float{}) or f(double{}) for a precision named "float" or "double" (the
// --precision option) or for a model file's, so that a command's body is written once as
// a generic lambda.
#include <string>

#include "hyda/mtl/model_file.hpp"

namespace hyda::cli {

template <class F>
decltype(auto) with_precision(const std::string& precision, F&& f) {
    if (precision == "double") return f(double{});
    return f(float{});
}

template <class F>
decltype(auto) with_precision(mtl::Precision precision, F&& f) {
    if (precision == mtl::Precision::float64) return f(double{});
    return f(float{});
}

// The --precision name of a model file's precision.
inline const char* precision_name(mtl::Precision precision) { return precision == mtl::Precision::float64 ? "double" : "float"; }

}  // namespace hyda::cli
