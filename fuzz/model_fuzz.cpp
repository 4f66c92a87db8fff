// Fuzz target for the model loader: decode_model on the bytes as they are (the header's
// checks: signature, version, length, CRC), and on the same bytes with the length and
// CRC-32 fields made to match, so that mutations reach the body's parser instead of
// stopping at the checksum. A file that decodes must encode back to the same bytes, build
// a Predictor and predict two rows. DataError and std::invalid_argument are how a bad
// file is refused; anything else, a crash, a sanitizer report or a large allocation
// (libFuzzer's -malloc_limit_mb) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/model_file.hpp"

using namespace hyda::mtl;

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "model_fuzz: %s\n", what.c_str());
    std::abort();
}

constexpr std::size_t header_bytes = 20, crc_bytes = 4;  // docs/model-format.md

void load(const std::string& bytes) {
    try {
        ModelFile file = decode_model(bytes, "fuzz.model");
        if (encode_model(file) != bytes) finding("a decoded file encodes to other bytes");
        const Predictor predictor(std::move(file), "fuzz.model");
        const std::vector<float> x(std::size_t(predictor.inputs()) * 2, 0.5f);
        predictor.predict_inputs(x, 2);
    } catch (const DataError&) {
    } catch (const std::invalid_argument&) {
    }
}

// The bytes with their length field (offset 12) and trailing CRC-32 made consistent.
std::string with_valid_checksum(std::string bytes) {
    BinaryWriter length;
    length.put<std::uint64_t>(bytes.size());
    bytes.replace(12, 8, length.bytes());
    BinaryWriter crc;
    crc.put<std::uint32_t>(crc32(std::string_view(bytes).substr(0, bytes.size() - crc_bytes)));
    bytes.replace(bytes.size() - crc_bytes, crc_bytes, crc.bytes());
    return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    load(bytes);
    if (size >= header_bytes + crc_bytes) load(with_valid_checksum(bytes));
    return 0;
}
