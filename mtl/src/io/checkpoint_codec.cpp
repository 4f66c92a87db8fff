#include "checkpoint_codec.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl::detail {
namespace {

constexpr std::string_view magic = "HYDACKPT";
constexpr std::uint32_t format_version = 1;
constexpr std::size_t header_bytes = 8 + 4 + 8 + 4;  // magic, version, payload size, CRC-32
// Only the bytes left bound a name, a value or an array (BinaryReader checks each count
// against them before allocating): a tighter bound here would refuse checkpoints the
// writer produces, e.g. parameter names holding a long task name, and so make a run
// unresumable. The identity's entry count is fixed by the code that writes it.
constexpr std::uint64_t max_identity = 4096;
constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

const char* kind_name(FieldKind k) {
    switch (k) {
        case FieldKind::section: return "a section";
        case FieldKind::flag: return "a flag";
        case FieldKind::int32: return "a 32-bit integer";
        case FieldKind::int64: return "a 64-bit integer";
        case FieldKind::uint64: return "an unsigned 64-bit integer";
        case FieldKind::float64: return "a number";
        case FieldKind::float32_array: return "an array of floats";
        case FieldKind::float64_array: return "an array of doubles";
    }
    return "an unknown kind";
}

}  // namespace

std::string exact_text(double x) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, x).ptr;
    return std::string(text, end);
}

// --- writing ---

CheckpointWriter::CheckpointWriter(const Identity& identity) {
    payload_.put<std::uint64_t>(identity.size());
    for (const auto& [key, value] : identity) {
        payload_.string(key);
        payload_.string(value);
    }
}

void CheckpointWriter::field(FieldKind kind, std::string_view name) {
    payload_.put<std::uint8_t>(std::uint8_t(kind));
    payload_.string(name);
}

void CheckpointWriter::section(std::string_view name) { field(FieldKind::section, name); }
void CheckpointWriter::operator()(std::string_view name, bool& v) {
    field(FieldKind::flag, name);
    payload_.put(v);
}
void CheckpointWriter::operator()(std::string_view name, int& v) {
    field(FieldKind::int32, name);
    payload_.put<std::int32_t>(v);
}
void CheckpointWriter::operator()(std::string_view name, std::int64_t& v) {
    field(FieldKind::int64, name);
    payload_.put(v);
}
void CheckpointWriter::operator()(std::string_view name, std::uint64_t& v) {
    field(FieldKind::uint64, name);
    payload_.put(v);
}
void CheckpointWriter::operator()(std::string_view name, double& v) {
    field(FieldKind::float64, name);
    payload_.put(v);
}
void CheckpointWriter::operator()(std::string_view name, std::span<float> v) {
    field(FieldKind::float32_array, name);
    payload_.array<float>(v);
}
void CheckpointWriter::operator()(std::string_view name, std::span<double> v) {
    field(FieldKind::float64_array, name);
    payload_.array<double>(v);
}
void CheckpointWriter::resizable(std::string_view name, std::vector<double>& v) { (*this)(name, std::span<double>(v)); }

std::string CheckpointWriter::bytes() const {
    BinaryWriter header;
    header.raw(magic);
    header.put<std::uint32_t>(format_version);
    header.put<std::uint64_t>(payload_.bytes().size());
    header.put<std::uint32_t>(crc32(payload_.bytes()));
    return header.bytes() + payload_.bytes();
}

// --- reading ---

CheckpointReader::CheckpointReader(std::string_view bytes, std::string source) : in_(bytes, std::move(source)) {
    if (bytes.size() < magic.size() || bytes.substr(0, magic.size()) != magic) in_.fail("not a hyda checkpoint (it does not begin with " + std::string(magic) + ")", 0);
    if (bytes.size() < header_bytes)
        in_.fail("truncated: " + std::to_string(bytes.size()) + " bytes, fewer than the " + std::to_string(header_bytes) + " of a checkpoint's header", 0);
    in_.raw(magic.size(), "the magic");
    if (const auto version = in_.get<std::uint32_t>(); version != format_version)
        in_.fail("checkpoint format version " + std::to_string(version) + ", this hyda reads version " + std::to_string(format_version), magic.size());
    const auto size = in_.get<std::uint64_t>();
    const auto crc = in_.get<std::uint32_t>();
    if (size != in_.remaining())
        in_.fail((size > in_.remaining() ? "truncated: " : "") + std::string("the header declares ") + std::to_string(size) + " bytes of payload, " +
                     std::to_string(in_.remaining()) + " follow",
                 magic.size() + 4);
    if (const std::uint32_t actual = crc32(bytes.substr(header_bytes)); actual != crc)
        in_.fail("corrupt: the payload's CRC-32 is " + std::to_string(actual) + ", the header says " + std::to_string(crc), header_bytes);
    const std::uint64_t n = in_.count(max_identity, 16, "the run's identity");
    for (std::uint64_t i = 0; i < n; ++i) {
        std::string key = in_.string(unbounded, "an identity key");
        identity_.emplace_back(std::move(key), in_.string(unbounded, "an identity value"));
    }
}

void CheckpointReader::require_identity(const Identity& mine, const std::vector<std::string>& except) const {
    auto as_map = [&](const Identity& id) {
        std::map<std::string, std::string> m;
        for (const auto& [key, value] : id)
            if (std::find(except.begin(), except.end(), key) == except.end()) m.emplace(key, value);
        return m;
    };
    const auto theirs = as_map(identity_), ours = as_map(mine);
    auto quoted = [](const std::map<std::string, std::string>& m, const std::string& key) {
        const auto it = m.find(key);
        return it == m.end() ? std::string("not set") : "'" + it->second + "'";
    };
    for (const auto* m : {&theirs, &ours})
        for (const auto& [key, value] : *m)
            if (quoted(theirs, key) != quoted(ours, key))
                throw DataError(in_.source(), 0, "",
                                "the checkpoint belongs to another run: " + key + " is " + quoted(theirs, key) + " in the checkpoint, " + quoted(ours, key) + " in this run");
}

void CheckpointReader::fail(const std::string& what) const { in_.fail((section_.empty() ? "" : "section '" + section_ + "': ") + what); }

void CheckpointReader::field(FieldKind kind, std::string_view name) {
    const auto k = FieldKind(in_.get<std::uint8_t>());
    const std::string found = in_.string(unbounded, "a field name");
    if (k != kind || found != name)
        fail("expected " + std::string(kind_name(kind)) + " '" + std::string(name) + "', the checkpoint has " + kind_name(k) + " '" + found +
             "' (a checkpoint of another model, method or hyda version)");
}

void CheckpointReader::section(std::string_view name) {
    section_.clear();
    field(FieldKind::section, name);
    section_ = name;
}

void CheckpointReader::operator()(std::string_view name, bool& v) {
    field(FieldKind::flag, name);
    v = in_.get<bool>();
}
void CheckpointReader::operator()(std::string_view name, int& v) {
    field(FieldKind::int32, name);
    v = in_.get<std::int32_t>();
}
void CheckpointReader::operator()(std::string_view name, std::int64_t& v) {
    field(FieldKind::int64, name);
    v = in_.get<std::int64_t>();
}
void CheckpointReader::operator()(std::string_view name, std::uint64_t& v) {
    field(FieldKind::uint64, name);
    v = in_.get<std::uint64_t>();
}
void CheckpointReader::operator()(std::string_view name, double& v) {
    field(FieldKind::float64, name);
    v = in_.get<double>();
}

template <class V>
void CheckpointReader::fixed_array(FieldKind kind, std::string_view name, std::span<V> v) {
    field(kind, name);
    const std::uint64_t n = in_.count(unbounded, sizeof(V), name);
    if (n != v.size()) fail("'" + std::string(name) + "' has " + std::to_string(n) + " values, this run's has " + std::to_string(v.size()));
    for (V& x : v) x = in_.get<V>();
}

void CheckpointReader::operator()(std::string_view name, std::span<float> v) { fixed_array(FieldKind::float32_array, name, v); }
void CheckpointReader::operator()(std::string_view name, std::span<double> v) { fixed_array(FieldKind::float64_array, name, v); }

void CheckpointReader::resizable(std::string_view name, std::vector<double>& v) {
    field(FieldKind::float64_array, name);
    v = in_.array<double>(unbounded, name);
}

void CheckpointReader::finish() {
    if (in_.remaining() != 0) fail(std::to_string(in_.remaining()) + " bytes after the last field");
}

}  // namespace hyda::mtl::detail
