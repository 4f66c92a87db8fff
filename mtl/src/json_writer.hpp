#pragma once
// Text output without a stream's formatting state: values are appended to a std::string,
// which the caller writes out whole, so the caller's stream (precision, flags) is neither
// read nor changed.
//
// JSON (RFC 8259):
//   - strings are quoted and escaped: '"' and '\' take a backslash, control characters
//     (below 0x20) are written as \u00XX; other bytes (UTF-8 included) pass unchanged;
//   - numbers are the shortest text that reads back as the same double (std::to_chars);
//   - NaN and +-infinity have no JSON form and are written as null.
#include <cstdint>
#include <string>
#include <string_view>

namespace hyda::mtl::detail {

void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double v);

// Plain numbers (CSV): the shortest text that reads back as the same value; NaN and
// infinities as "nan", "inf", "-inf", which strtod reads back.
void append_number(std::string& out, double v);
void append_number(std::string& out, std::int64_t v);

}  // namespace hyda::mtl::detail
