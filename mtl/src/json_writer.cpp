#include "json_writer.hpp"

#include <charconv>
#include <cmath>

namespace hyda::mtl::detail {

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
    out += '"';
}

void append_json_number(std::string& out, double v) {
    if (std::isfinite(v)) {
        append_number(out, v);
    } else {
        out += "null";
    }
}

void append_number(std::string& out, double v) {
    char text[32];  // the longest shortest double, "-2.2250738585072014e-308", is 24
    out.append(text, std::to_chars(text, text + sizeof text, v).ptr);
}

void append_number(std::string& out, std::int64_t v) {
    char text[24];
    out.append(text, std::to_chars(text, text + sizeof text, v).ptr);
}

}  // namespace hyda::mtl::detail
