#pragma once
// What "reads as a number" means for a CSV field, in one place: all of the text, by
// std::from_chars (no leading '+' or spaces, '.' as the decimal point, any locale), and a
// finite value ("inf" and "nan" are text).
#include <charconv>
#include <cmath>
#include <string_view>

namespace hyda::mtl::detail {

inline bool parse_number(std::string_view text, double& value) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, v);
    if (error != std::errc() || stop != end || !std::isfinite(v)) return false;
    value = v;
    return true;
}

}  // namespace hyda::mtl::detail
