#pragma once
// Runs f(float{}) or f(double{}) for a precision named "float" or "double", so that a
// command's body is written once as a generic lambda.
#include <string>

namespace hyda::cli {

template <class F>
decltype(auto) with_precision(const std::string& precision, F&& f) {
    if (precision == "double") return f(double{});
    return f(float{});
}

}  // namespace hyda::cli
