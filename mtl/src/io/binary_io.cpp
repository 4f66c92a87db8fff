#include "hyda/mtl/binary_io.hpp"

#include <array>
#include <filesystem>
#include <fstream>

#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl {

void BinaryWriter::string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s);
}

void BinaryReader::fail(const std::string& what, std::size_t offset) const {
    throw DataError(source_, 0, "", "byte " + std::to_string(offset) + ": " + what);
}

void BinaryReader::need(std::size_t n, std::string_view what) {
    if (remaining() < n)
        fail("truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
}

std::uint64_t BinaryReader::count(std::uint64_t max_count, std::size_t element_bytes, std::string_view what) {
    const std::size_t at = offset_;
    const auto n = get<std::uint64_t>();
    if (n > max_count) fail(std::string(what) + ": " + std::to_string(n) + " elements, more than the limit of " + std::to_string(max_count), at);
    if (element_bytes > 0 && n > remaining() / element_bytes)
        fail("truncated: " + std::string(what) + " declares " + std::to_string(n) + " elements of " + std::to_string(element_bytes) + " bytes, " +
                 std::to_string(remaining()) + " bytes left",
             at);
    return n;
}

std::string BinaryReader::string(std::uint64_t max_bytes, std::string_view what) {
    const std::uint64_t n = count(max_bytes, 1, what);
    return std::string(raw(static_cast<std::size_t>(n), what));
}

std::string_view BinaryReader::raw(std::size_t n, std::string_view what) {
    need(n, what);
    const std::string_view out = bytes_.substr(offset_, n);
    offset_ += n;
    return out;
}

namespace {

constexpr std::array<std::uint32_t, 256> crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;  // reflected 0x04C11DB7
        table[i] = c;
    }
    return table;
}

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    static constexpr auto table = crc_table();
    crc = ~crc;
    for (char b : bytes) crc = table[(crc ^ std::uint8_t(b)) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::string read_file_bytes(const std::string& path, std::uint64_t max_bytes) {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) throw DataError(path, 0, "", "cannot read the file: " + ec.message());
    if (size > max_bytes)
        throw DataError(path, 0, "", "the file has " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes));
    std::ifstream in(path, std::ios::binary);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!in || !in.read(bytes.data(), std::streamsize(size)) || in.peek() != std::char_traits<char>::eof())
        throw DataError(path, 0, "", "cannot read the file (did it change while it was read?)");
    return bytes;
}

}  // namespace hyda::mtl
