// The bytes of a model file, format version 2 (docs/model-format.md has the layout and
// the reasons for it; keep the two in step).
#include <algorithm>
#include <array>
#include <cstdio>

#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/model_file.hpp"

namespace hyda::mtl {
namespace {

// Not text in any encoding (0x89 first), and damaged by a transfer that rewrites line
// ends (\r\n) or stops at a DOS end-of-file (0x1A), as PNG's signature is.
constexpr std::string_view magic{"\x89HYDA\r\n\x1a", 8};
constexpr std::uint32_t format_version = 2;
constexpr std::size_t header_bytes = 8 + 4 + 8;  // magic, version, total length
constexpr std::size_t crc_bytes = 4;
// The fewest bytes an element of a list takes on disk, so that a count is checked
// against the bytes left before anything is allocated for it.
constexpr std::size_t min_task_bytes = 8 + 1 + 4 + 8 + 8, min_feature_bytes = 8 + 1 + 8 + 8 + 1 + 8,
                      min_target_bytes = 8 + 1 + 8 + 8 + 8 + 8, min_parameter_bytes = 8 + 4 + 4 + 4;

// Enum codes on disk: the index in the list, fixed whatever the order of the C++ enum.
template <class E, std::size_t N>
struct Codes {
    const char* what;
    std::array<E, N> values;
};
constexpr Codes<Precision, 2> precisions{"precision", {Precision::float32, Precision::float64}};
constexpr Codes<Activation, 4> activations{"activation", {Activation::relu, Activation::leaky_relu, Activation::gelu, Activation::tanh}};
constexpr Codes<Init, 3> inits{"init", {Init::he_xavier, Init::fan_in_uniform, Init::xavier}};
constexpr Codes<Architecture, 4> architectures{"architecture", {Architecture::hps, Architecture::mmoe, Architecture::cgc, Architecture::ple}};
constexpr Codes<TaskKind, 3> task_kinds{"task kind", {TaskKind::binary, TaskKind::regression, TaskKind::multiclass}};
constexpr Codes<ColumnType, 2> column_types{"column type", {ColumnType::numeric, ColumnType::categorical}};
constexpr Codes<TargetKind, 4> target_kinds{"target kind",
                                            {TargetKind::binary, TargetKind::regression, TargetKind::logregression, TargetKind::multiclass}};

template <class E, std::size_t N>
void put_enum(BinaryWriter& w, E value, const Codes<E, N>& codes) {
    for (std::size_t i = 0; i < N; ++i)
        if (codes.values[i] == value) return w.put<std::uint8_t>(std::uint8_t(i));
    throw std::invalid_argument(std::string("model file: unknown ") + codes.what + " " + std::to_string(int(value)));
}

template <class E, std::size_t N>
E get_enum(BinaryReader& r, const Codes<E, N>& codes) {
    const std::uint8_t code = r.get<std::uint8_t>();
    if (code >= N) r.fail(std::string("unknown ") + codes.what + " code " + std::to_string(code) + " (0 to " + std::to_string(N - 1) + ")", r.offset() - 1);
    return codes.values[code];
}

void put_ints(BinaryWriter& w, const std::vector<int>& values) {
    w.put<std::uint64_t>(values.size());
    for (const int v : values) w.put<std::int32_t>(v);
}

std::vector<int> get_ints(BinaryReader& r, std::uint64_t max_count, std::string_view what) {
    const std::vector<std::int32_t> values = r.array<std::int32_t>(max_count, what);
    return {values.begin(), values.end()};
}

void put_strings(BinaryWriter& w, const std::vector<std::string>& values) {
    w.put<std::uint64_t>(values.size());
    for (const std::string& v : values) w.string(v);
}

std::vector<std::string> get_strings(BinaryReader& r, std::string_view what) {
    std::vector<std::string> values(static_cast<std::size_t>(r.count(max_model_items, 8, what)));
    for (std::string& v : values) v = r.string(max_model_text_bytes, what);
    return values;
}

void put_spec(BinaryWriter& w, const ModelSpec& s) {
    w.put<std::int32_t>(s.inputs);
    put_ints(w, s.trunk);
    put_enum(w, s.activation, activations);
    w.put<double>(s.dropout);
    put_enum(w, s.init, inits);
    put_enum(w, s.arch, architectures);
    w.put<std::int32_t>(s.experts);
    w.put<std::int32_t>(s.task_experts);
    w.put<std::int32_t>(s.levels);
    w.put<std::int32_t>(s.main_task);
    w.put<std::uint64_t>(s.tasks.size());
    for (const TaskSpec& t : s.tasks) {
        w.string(t.name);
        put_enum(w, t.kind, task_kinds);
        w.put<std::int32_t>(t.classes);
        w.put<double>(t.huber_delta);
        put_ints(w, t.head_hidden);
    }
}

ModelSpec get_spec(BinaryReader& r) {
    ModelSpec s;
    s.inputs = r.get<std::int32_t>();
    s.trunk = get_ints(r, max_model_layers, "trunk layers");
    s.activation = get_enum(r, activations);
    s.dropout = r.get<double>();
    s.init = get_enum(r, inits);
    s.arch = get_enum(r, architectures);
    s.experts = r.get<std::int32_t>();
    s.task_experts = r.get<std::int32_t>();
    s.levels = r.get<std::int32_t>();
    s.main_task = r.get<std::int32_t>();
    s.tasks.resize(static_cast<std::size_t>(r.count(64, min_task_bytes, "tasks")));
    for (TaskSpec& t : s.tasks) {
        t.name = r.string(max_model_text_bytes, "task name");
        t.kind = get_enum(r, task_kinds);
        t.classes = r.get<std::int32_t>();
        t.huber_delta = r.get<double>();
        t.head_hidden = get_ints(r, max_model_layers, "head layers");
    }
    return s;
}

void put_preprocessor(BinaryWriter& w, const Preprocessor& p) {
    w.put<std::uint64_t>(p.features.size());
    for (const Preprocessor::Feature& f : p.features) {
        w.string(f.column);
        put_enum(w, f.type, column_types);
        w.put<double>(f.mean);
        w.put<double>(f.scale);
        w.put<bool>(f.missing_indicator);
        put_strings(w, f.levels);
    }
    w.put<std::uint64_t>(p.targets.size());
    for (const Preprocessor::Target& t : p.targets) {
        w.string(t.column);
        put_enum(w, t.kind, target_kinds);
        w.string(t.positive);
        w.put<double>(t.mean);
        w.put<double>(t.scale);
        put_strings(w, t.levels);
    }
}

Preprocessor get_preprocessor(BinaryReader& r) {
    Preprocessor p;
    p.features.resize(static_cast<std::size_t>(r.count(max_model_items, min_feature_bytes, "features")));
    for (Preprocessor::Feature& f : p.features) {
        f.column = r.string(max_model_text_bytes, "feature column");
        f.type = get_enum(r, column_types);
        f.mean = r.get<double>();
        f.scale = r.get<double>();
        f.missing_indicator = r.get<bool>();
        f.levels = get_strings(r, "feature levels");
    }
    p.targets.resize(static_cast<std::size_t>(r.count(64, min_target_bytes, "targets")));
    for (Preprocessor::Target& t : p.targets) {
        t.column = r.string(max_model_text_bytes, "target column");
        t.kind = get_enum(r, target_kinds);
        t.positive = r.string(max_model_text_bytes, "target positive value");
        t.mean = r.get<double>();
        t.scale = r.get<double>();
        t.levels = get_strings(r, "target levels");
    }
    return p;
}

// Values as wide as the precision: a float32 file's are floats (exact: they came from one).
void put_parameters(BinaryWriter& w, const ModelFile& f) {
    w.put<std::uint64_t>(f.parameters.size());
    for (const ModelFile::Parameter& p : f.parameters) {
        w.string(p.name);
        w.put<std::int32_t>(p.rows);
        w.put<std::int32_t>(p.cols);
        for (const double v : p.values) f.precision == Precision::float32 ? w.put<float>(float(v)) : w.put<double>(v);
    }
}

std::vector<ModelFile::Parameter> get_parameters(BinaryReader& r, Precision precision) {
    const std::size_t width = precision == Precision::float32 ? 4 : 8;
    std::vector<ModelFile::Parameter> params(static_cast<std::size_t>(r.count(max_model_items, min_parameter_bytes, "parameters")));
    for (ModelFile::Parameter& p : params) {
        const std::size_t at = r.offset();
        p.name = r.string(max_model_text_bytes, "parameter name");
        p.rows = r.get<std::int32_t>();
        p.cols = r.get<std::int32_t>();
        const std::string what = "parameter '" + p.name + "' [" + std::to_string(p.rows) + " x " + std::to_string(p.cols) + "]";
        if (p.rows < 1 || p.cols < 1) r.fail(what + ": a dimension below 1", at);
        // The size check that stops a declared 1e12-element tensor before any allocation.
        const std::uint64_t n = std::uint64_t(p.rows) * std::uint64_t(p.cols);
        if (n > r.remaining() / width)
            r.fail(what + ": " + std::to_string(n) + " values of " + std::to_string(width) + " bytes, more than the " + std::to_string(r.remaining()) +
                       " bytes left in the file",
                   at);
        p.values.resize(static_cast<std::size_t>(n));
        for (double& v : p.values) v = precision == Precision::float32 ? double(r.get<float>()) : r.get<double>();
    }
    return params;
}

std::string hex32(std::uint32_t v) {
    char text[11];
    std::snprintf(text, sizeof text, "0x%08x", unsigned(v));
    return text;
}

// The old format: a JSON object with "format": "hyda-model".
bool is_json_model(std::string_view bytes) {
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && bytes[first] == '{' && bytes.find("\"hyda-model\"") != std::string_view::npos;
}

// Magic, version, length and CRC, before anything else is read: a damaged or foreign file
// is refused for what it is, not for the first field that happens to read wrong.
void check_envelope(std::string_view bytes, const std::string& source) {
    auto fail = [&](const std::string& what) { throw DataError(source, 0, "", what); };
    if (bytes.empty()) fail("an empty file, not a hyda model");
    if (!bytes.starts_with(magic.substr(0, std::min(bytes.size(), magic.size())))) {
        if (is_json_model(bytes))
            fail("a JSON model file from an older hyda (model format version 1); this hyda reads format version " + std::to_string(format_version) +
                 " only: train the model again with this hyda (hyda train ... --out FILE)");
        fail("not a hyda model file (it does not start with the hyda model signature 89 48 59 44 41 0D 0A 1A)");
    }
    if (bytes.size() < magic.size() + 4) fail("truncated: " + std::to_string(bytes.size()) + " bytes, less than a model file's header");
    BinaryReader header(bytes, source);
    header.raw(magic.size(), "the signature");
    const auto version = header.get<std::uint32_t>();
    if (version != format_version)
        fail("model format version " + std::to_string(version) + "; this hyda reads version " + std::to_string(format_version) +
             (version > format_version ? " (the file is from a newer hyda: update hyda, or save the model with this one)" : ""));
    if (bytes.size() < header_bytes + crc_bytes) fail("truncated: " + std::to_string(bytes.size()) + " bytes, less than a model file's header");
    const auto length = header.get<std::uint64_t>();
    if (bytes.size() < length)
        fail("truncated: the file has " + std::to_string(bytes.size()) + " bytes, its header says " + std::to_string(length));
    if (bytes.size() > length)
        fail("the file has " + std::to_string(bytes.size()) + " bytes, its header says " + std::to_string(length) + " (corrupt, or something was appended)");
    BinaryReader trailer(bytes.substr(bytes.size() - crc_bytes), source);
    const std::uint32_t stored = trailer.get<std::uint32_t>(), computed = crc32(bytes.substr(0, bytes.size() - crc_bytes));
    if (stored != computed) fail("the checksum does not match (stored " + hex32(stored) + ", computed " + hex32(computed) + "): the file is corrupt");
}

}  // namespace

std::string encode_model(const ModelFile& file) {
    check_model_file(file);
    BinaryWriter w;
    w.raw(magic);
    w.put<std::uint32_t>(format_version);
    w.put<std::uint64_t>(0);  // the total length, known at the end
    put_enum(w, file.precision, precisions);
    put_spec(w, file.spec);
    put_preprocessor(w, file.preprocessor);
    put_parameters(w, file);
    w.string(file.metadata);
    BinaryWriter length;
    length.put<std::uint64_t>(w.bytes().size() + crc_bytes);
    w.bytes().replace(12, 8, length.bytes());
    w.put<std::uint32_t>(crc32(w.bytes()));
    return std::move(w.bytes());
}

ModelFile decode_model(std::string_view bytes, const std::string& source) {
    check_envelope(bytes, source);
    BinaryReader r(bytes.substr(0, bytes.size() - crc_bytes), source);
    r.raw(header_bytes, "the header");
    ModelFile f;
    f.precision = get_enum(r, precisions);
    f.spec = get_spec(r);
    f.preprocessor = get_preprocessor(r);
    f.parameters = get_parameters(r, f.precision);
    f.metadata = r.string(max_model_metadata_bytes, "metadata");
    if (r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " bytes after the metadata, before the checksum");
    try {
        check_model_file(f);
    } catch (const std::invalid_argument& e) {
        throw DataError(source, 0, "", std::string("bad model file: ") + e.what());
    }
    return f;
}

}  // namespace hyda::mtl
