#pragma once
// The binary encoding of model files and training checkpoints (docs/model-format.md).
// Integers and IEEE 754 floats go byte by byte, least significant first, whatever the
// host's byte order; a string or an array is its u64 count, then its elements.
//
// The reader never trusts a count: before it allocates, it checks that the bytes left can
// hold that many elements, so a corrupt or hostile input costs at most a small multiple
// of its own size in memory (a std::string's overhead per string, a float widened to a
// double by its caller). Every failure is a DataError naming the source and the byte offset.
#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

namespace detail {
template <class T>
concept BinaryScalar = std::is_integral_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>;
// The unsigned integer of T's size, which is what goes on disk.
template <class T>
using BinaryBits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
                   std::conditional_t<sizeof(T) == 2, std::uint16_t, std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
}  // namespace detail

class BinaryWriter {
public:
    template <detail::BinaryScalar T>
    void put(T v) {
        if constexpr (std::is_same_v<T, bool>) {
            put<std::uint8_t>(v ? 1 : 0);
        } else {
            auto bits = std::bit_cast<detail::BinaryBits<T>>(v);
            for (std::size_t i = 0; i < sizeof(T); ++i) bytes_.push_back(char((bits >> (8 * i)) & 0xff));
        }
    }
    void string(std::string_view s);
    template <detail::BinaryScalar T>
    void array(std::span<const T> values) {
        put<std::uint64_t>(values.size());
        for (T v : values) put(v);
    }
    template <detail::BinaryScalar T>
    void array(const std::vector<T>& values) { array(std::span<const T>(values)); }
    void raw(std::string_view bytes) { bytes_.append(bytes); }

    const std::string& bytes() const { return bytes_; }
    std::string& bytes() { return bytes_; }

private:
    std::string bytes_;
};

class BinaryReader {
public:
    // Reads `bytes`, which must outlive the reader; `source` names it in errors.
    BinaryReader(std::string_view bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {}

    template <detail::BinaryScalar T>
    T get() {
        if constexpr (std::is_same_v<T, bool>) {
            const std::uint8_t v = get<std::uint8_t>();
            if (v > 1) fail("a flag of value " + std::to_string(v) + " (expected 0 or 1)", offset_ - 1);
            return v == 1;
        } else {
            need(sizeof(T), "a " + std::to_string(8 * sizeof(T)) + "-bit value");
            detail::BinaryBits<T> bits = 0;
            for (std::size_t i = 0; i < sizeof(T); ++i) bits |= detail::BinaryBits<T>(std::uint8_t(bytes_[offset_ + i])) << (8 * i);
            offset_ += sizeof(T);
            return std::bit_cast<T>(bits);
        }
    }
    // A string of at most max_bytes bytes (what: what it is, for the error).
    std::string string(std::uint64_t max_bytes, std::string_view what);
    // An array of at most max_count elements.
    template <detail::BinaryScalar T>
    std::vector<T> array(std::uint64_t max_count, std::string_view what) {
        const std::uint64_t n = count(max_count, sizeof(T), what);
        std::vector<T> values(static_cast<std::size_t>(n));
        for (T& v : values) v = get<T>();
        return values;
    }
    // A count of elements of `element_bytes` each that are to follow: at most max_count,
    // and no more than the bytes left can hold. Throws naming `what` otherwise.
    std::uint64_t count(std::uint64_t max_count, std::size_t element_bytes, std::string_view what);
    std::string_view raw(std::size_t n, std::string_view what);

    std::size_t offset() const { return offset_; }
    std::size_t remaining() const { return bytes_.size() - offset_; }
    const std::string& source() const { return source_; }
    // Throws DataError(source, "byte OFFSET: what"); offset defaults to the current one.
    [[noreturn]] void fail(const std::string& what) const { fail(what, offset_); }
    [[noreturn]] void fail(const std::string& what, std::size_t offset) const;

private:
    void need(std::size_t n, std::string_view what);

    std::string_view bytes_;
    std::string source_;
    std::size_t offset_ = 0;
};

// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG) of `bytes`, continuing from `crc`.
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

// The whole file; throws DataError naming it if it cannot be read or is larger than
// max_bytes (checked before reading).
std::string read_file_bytes(const std::string& path, std::uint64_t max_bytes);

}  // namespace hyda::mtl
#pragma GCC visibility pop
