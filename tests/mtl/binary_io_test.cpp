// The binary encoding (little-endian whatever the host, bounded reads) and atomic writes.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <unistd.h>

#include "data_error_of.hpp"
#include "hyda/mtl/atomic_file.hpp"
#include "hyda/mtl/binary_io.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;

namespace {

std::string hex(const std::string& bytes) {
    std::ostringstream out;
    for (unsigned char b : bytes) out << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
    return out.str();
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("binary encoding is little-endian byte for byte", "[binary_io]") {
    BinaryWriter w;
    w.put<std::uint32_t>(0x01020304u);
    w.put<std::int64_t>(-2);
    w.put<double>(1.0);    // IEEE 754: 0x3FF0000000000000
    w.put<float>(-2.5f);   // 0xC0200000
    w.put<bool>(true);
    w.string("ab");
    CHECK(hex(w.bytes()) == "04030201" "feffffffffffffff" "000000000000f03f" "000020c0" "01" "0200000000000000" "6162");
}

TEST_CASE("binary encoding round-trips every value bit for bit", "[binary_io]") {
    const std::vector<double> d = {0.0, -0.0, 1e-308, 4.9e-324, std::numeric_limits<double>::infinity(), 3.141592653589793, std::nan("")};
    const std::vector<float> f = {1.5f, -0.0f, 1e-45f, std::numeric_limits<float>::max()};
    const std::vector<std::int64_t> i = {std::numeric_limits<std::int64_t>::min(), -1, 0, 7};
    BinaryWriter w;
    w.array(d);
    w.array(f);
    w.array(i);
    w.string(std::string("x\0y", 3));
    BinaryReader r(w.bytes(), "t.bin");
    const auto d2 = r.array<double>(100, "d");
    const auto f2 = r.array<float>(100, "f");
    CHECK(r.array<std::int64_t>(100, "i") == i);
    CHECK(r.string(100, "s") == std::string("x\0y", 3));
    CHECK(r.remaining() == 0);
    REQUIRE(d2.size() == d.size());
    for (std::size_t k = 0; k < d.size(); ++k) CHECK(std::bit_cast<std::uint64_t>(d2[k]) == std::bit_cast<std::uint64_t>(d[k]));
    REQUIRE(f2.size() == f.size());
    for (std::size_t k = 0; k < f.size(); ++k) CHECK(std::bit_cast<std::uint32_t>(f2[k]) == std::bit_cast<std::uint32_t>(f[k]));
}

TEST_CASE("the binary reader refuses what it cannot read, without allocating for it", "[binary_io]") {
    SECTION("truncation names the source and the byte") {
        BinaryWriter w;
        w.put<std::uint32_t>(7);
        const std::string cut = w.bytes().substr(0, 3);
        BinaryReader r(cut, "m.hyda");
        const DataError e = data_error_of([&] { r.get<std::uint32_t>(); });
        CHECK(e.file() == "m.hyda");
        CHECK_THAT(e.what(), Catch::Contains("byte 0") && Catch::Contains("truncated"));
    }
    SECTION("a count of 1e12 elements fails before any allocation") {
        BinaryWriter w;
        w.put<std::uint64_t>(1'000'000'000'000ull);
        w.put<double>(1.0);
        BinaryReader r(w.bytes(), "m.hyda");
        CHECK_THAT(data_error_of([&] { r.array<double>(std::numeric_limits<std::uint64_t>::max(), "parameter 'w'"); }).what(),
                   Catch::Contains("parameter 'w' declares 1000000000000 elements"));
    }
    SECTION("a count over the caller's limit") {
        BinaryWriter w;
        w.string("abcdef");
        BinaryReader r(w.bytes(), "m.hyda");
        CHECK_THAT(data_error_of([&] { r.string(4, "a name"); }).what(), Catch::Contains("a name: 6 elements, more than the limit of 4"));
    }
    SECTION("a flag that is neither 0 nor 1") {
        const std::string two(1, '\2');
        BinaryReader r(two, "m.hyda");
        CHECK_THAT(data_error_of([&] { r.get<bool>(); }).what(), Catch::Contains("expected 0 or 1"));
    }
}

TEST_CASE("crc32 matches the standard check value", "[binary_io]") {
    CHECK(crc32("123456789") == 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
    CHECK(crc32("") == 0u);
    CHECK(crc32("6789", crc32("12345")) == crc32("123456789"));  // continues a running CRC
}

TEST_CASE("atomic writes replace the file whole or leave it as it was", "[binary_io]") {
    const auto dir = std::filesystem::temp_directory_path() / ("hyda_atomic_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "f.bin").string();
    write_atomically(path, "test file", std::string_view("first"));
    CHECK(slurp(path) == "first");
    write_atomically(path, "test file", std::string_view("second"));
    CHECK(slurp(path) == "second");
    // A writer that throws half-way leaves the old content and no temporary file.
    CHECK_THROWS(write_atomically(path, "test file", [](std::ostream& out) {
        out << "half";
        throw std::runtime_error("interrupted");
    }));
    CHECK(slurp(path) == "second");
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    // A directory that does not exist: an error naming the file.
    CHECK_THROWS_WITH(write_atomically((dir / "no" / "f.bin").string(), "test file", std::string_view("x")), Catch::Contains("cannot save the test file"));
    std::filesystem::remove_all(dir);
}
