// The model file (docs/model-format.md): bytes written as the document lays them out (a
// second encoder here, written from the document, must agree with encode_model byte for
// byte), round trips bit for bit, and every damaged, foreign or hostile file refused with
// a DataError naming it, before anything large is allocated. Predictor's numbers against
// mtl::predict and the target units worked out here.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "data_error_of.hpp"
#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/trainer.hpp"
#include "temp_dir.hpp"
#include "throws.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;
using hyda::test::invalid_argument_message;
using Catch::Contains;

namespace {

// Numbers, a categorical column with a missing field, and one target of every kind.
const std::string kCsv =
    "age,size,flag,y,r,lr,cls\n"
    "10,a,1,yes,1.5,3,p\n"
    "20,b,0,no,3,0,q\n"
    ",a,1,yes,,10,p\n"
    "40,c,0,no,7,2.5,r\n"
    "50,,1,yes,9,1,q\n"
    "60,b,0,no,2,4,r\n"
    "15,c,1,yes,5,8,p\n"
    "33,a,0,no,4,6,q\n";

Table table_of(const std::string& text) {
    std::istringstream in(text);
    return read_table(in, "t.csv");
}

std::vector<int> all_rows(const Table& t) {
    std::vector<int> rows(std::size_t(t.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

Preprocessor fitted(const Table& t) {
    DataSpec spec;
    spec.targets = {parse_target("y=yes"), parse_target("r:regression"), parse_target("lr:logregression"), parse_target("cls:multiclass")};
    return Preprocessor::fit(t, spec, all_rows(t));
}

ModelSpec spec_of(const Preprocessor& pre, Architecture arch) {
    ModelSpec s;
    s.inputs = pre.inputs();
    s.trunk = {4, 3};
    s.activation = Activation::gelu;
    s.dropout = 0.25;
    s.tasks = pre.tasks();
    s.tasks[1].huber_delta = 1.5;
    s.tasks[3].head_hidden = {5, 2};
    s.main_task = 2;
    s.init = Init::he_xavier;
    s.arch = arch;
    s.experts = 2;
    s.task_experts = 2;
    s.levels = 3;
    return s;
}

// A metadata string with every byte value, the NUL included.
std::string all_bytes() {
    std::string s;
    for (int b = 0; b < 256; ++b) s += char(b);
    return s;
}

template <class T>
Model<T> extreme_model(const ModelSpec& spec) {
    Model<T> model(spec, 7);
    // Values whose encoding is easy to get wrong: the extremes, a subnormal, -0.
    T* first = model.parameters()[0]->value().data();
    first[0] = std::numeric_limits<T>::max();
    first[1] = std::numeric_limits<T>::denorm_min();
    first[2] = -T(0);
    first[3] = std::numeric_limits<T>::min();
    first[4] = T(1) / T(3);
    first[5] = -std::numeric_limits<T>::max();
    return model;
}

// The layout of docs/model-format.md, written from the document with no check of the
// content, so that a test can frame any body, valid or not.
std::string framed(const std::string& body, std::uint32_t version = 2) {
    BinaryWriter w;
    w.raw(std::string_view("\x89HYDA\r\n\x1a", 8));
    w.put<std::uint32_t>(version);
    w.put<std::uint64_t>(8 + 4 + 8 + body.size() + 4);
    w.raw(body);
    w.put<std::uint32_t>(crc32(w.bytes()));
    return w.bytes();
}

void put_ints(BinaryWriter& w, const std::vector<int>& v) {
    w.put<std::uint64_t>(v.size());
    for (int x : v) w.put<std::int32_t>(x);
}

void put_strings(BinaryWriter& w, const std::vector<std::string>& v) {
    w.put<std::uint64_t>(v.size());
    for (const auto& s : v) w.string(s);
}

template <class E>
void put_code(BinaryWriter& w, E e) {
    w.put<std::uint8_t>(std::uint8_t(e));  // the document's codes are the enums' order
}

std::string reference_body(const ModelFile& f) {
    BinaryWriter w;
    w.put<std::uint8_t>(f.precision == Precision::float32 ? 0 : 1);
    const ModelSpec& s = f.spec;
    w.put<std::int32_t>(s.inputs);
    put_ints(w, s.trunk);
    put_code(w, s.activation);
    w.put<double>(s.dropout);
    put_code(w, s.init);
    put_code(w, s.arch);
    w.put<std::int32_t>(s.experts);
    w.put<std::int32_t>(s.task_experts);
    w.put<std::int32_t>(s.levels);
    w.put<std::int32_t>(s.main_task);
    w.put<std::uint64_t>(s.tasks.size());
    for (const TaskSpec& t : s.tasks) {
        w.string(t.name);
        put_code(w, t.kind);
        w.put<std::int32_t>(t.classes);
        w.put<double>(t.huber_delta);
        put_ints(w, t.head_hidden);
    }
    w.put<std::uint64_t>(f.preprocessor.features.size());
    for (const auto& x : f.preprocessor.features) {
        w.string(x.column);
        put_code(w, x.type);
        w.put<double>(x.mean);
        w.put<double>(x.scale);
        w.put<std::uint8_t>(x.missing_indicator ? 1 : 0);
        put_strings(w, x.levels);
    }
    w.put<std::uint64_t>(f.preprocessor.targets.size());
    for (const auto& t : f.preprocessor.targets) {
        w.string(t.column);
        put_code(w, t.kind);
        w.string(t.positive);
        w.put<double>(t.mean);
        w.put<double>(t.scale);
        put_strings(w, t.levels);
    }
    w.put<std::uint64_t>(f.parameters.size());
    for (const auto& p : f.parameters) {
        w.string(p.name);
        w.put<std::int32_t>(p.rows);
        w.put<std::int32_t>(p.cols);
        for (double v : p.values) f.precision == Precision::float32 ? w.put<float>(float(v)) : w.put<double>(v);
    }
    w.string(f.metadata);
    return w.bytes();
}

// A small valid file: 3 inputs, one hidden layer of 2, one binary task, no preprocessor.
ModelFile tiny_file() {
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = {2};
    spec.tasks = {TaskSpec{"y", TaskKind::binary, 2, 0, {}}};
    return model_file_of(Model<float>(spec, 3), Preprocessor{}, "{\"note\": 1}");
}

std::string hex(std::string_view bytes) {
    std::string out;
    for (unsigned char b : bytes) out += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
    return out;
}

std::string message_of(const std::string& bytes) {
    const DataError e = data_error_of([&] { decode_model(bytes, "m.model"); });
    CHECK(e.file() == "m.model");
    return e.what();
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

const Architecture kArchitectures[] = {Architecture::hps, Architecture::mmoe, Architecture::cgc, Architecture::ple};

template <class T>
void round_trips_bitwise(Architecture arch) {
    const Table table = table_of(kCsv);
    const Preprocessor pre = fitted(table);
    const Model<T> model = extreme_model<T>(spec_of(pre, arch));
    const ModelFile file = model_file_of(model, pre, all_bytes());
    const std::string bytes = encode_model(file);
    CHECK(bytes == framed(reference_body(file)));  // the document's layout, byte for byte

    const ModelFile back = decode_model(bytes, "m.model");
    CHECK(encode_model(back) == bytes);
    CHECK(back.precision == precision_of<T>());
    CHECK(back.metadata == all_bytes());
    const Model<T> reloaded = model_of<T>(back, "m.model");
    REQUIRE(reloaded.parameters().size() == model.parameters().size());
    for (std::size_t i = 0; i < model.parameters().size(); ++i) {
        const auto& a = *model.parameters()[i];
        const auto& b = *reloaded.parameters()[i];
        CHECK(a.name() == b.name());
        REQUIRE(a.size() == b.size());
        CHECK(std::memcmp(a.value().data(), b.value().data(), a.size() * sizeof(T)) == 0);
    }
    const ModelSpec& s = back.spec;
    CHECK((s.arch == arch && s.experts == 2 && s.task_experts == 2 && s.levels == 3));
    CHECK((s.inputs == pre.inputs() && s.trunk == std::vector<int>{4, 3} && s.main_task == 2));
    CHECK((s.activation == Activation::gelu && s.init == Init::he_xavier && s.dropout == 0.25));
    CHECK((s.tasks[1].huber_delta == 1.5 && s.tasks[3].head_hidden == std::vector<int>{5, 2} && s.tasks[3].classes == 3));
    REQUIRE(back.preprocessor.features.size() == pre.features.size());
    for (std::size_t i = 0; i < pre.features.size(); ++i) {
        const auto &a = pre.features[i], &b = back.preprocessor.features[i];
        CHECK((a.column == b.column && a.type == b.type && a.mean == b.mean && a.scale == b.scale && a.missing_indicator == b.missing_indicator &&
               a.levels == b.levels));
    }
    REQUIRE(back.preprocessor.targets.size() == pre.targets.size());
    for (std::size_t k = 0; k < pre.targets.size(); ++k) {
        const auto &a = pre.targets[k], &b = back.preprocessor.targets[k];
        CHECK((a.column == b.column && a.kind == b.kind && a.positive == b.positive && a.mean == b.mean && a.scale == b.scale && a.levels == b.levels));
    }
    // A model of ordinary values, reloaded, predicts what it does (the extremes above
    // overflow to NaN).
    const Model<T> plain(model.spec(), 8);
    const Model<T> plain_back = model_of<T>(decode_model(encode_model(model_file_of(plain, pre, "")), "m.model"), "m.model");
    const Dataset<T> data = pre.transform<T>(table, all_rows(table), false);
    const auto expected = predict(plain, data);
    CHECK(std::isfinite(expected[0][0]));
    CHECK(predict(plain_back, data) == expected);
}

}  // namespace

TEST_CASE("model file: parameter_count is the size of the model the spec builds", "[model_file]") {
    for (const Architecture arch : kArchitectures) {
        for (int levels = 1; levels <= 4; ++levels) {
            for (int K = 1; K <= 3; ++K) {
                ModelSpec s;
                s.inputs = 5;
                s.trunk = {3, 2 + levels};
                s.arch = arch;
                s.experts = 1 + K % 2;
                s.task_experts = levels % 2 + 1;
                s.levels = levels;
                const char* names[] = {"main", "x", "long_auxiliary"};
                for (int k = 0; k < K; ++k) s.tasks.push_back(TaskSpec{names[k], k == 2 ? TaskKind::multiclass : TaskKind::binary, 4, 0, std::vector<int>(std::size_t(k), 3)});
                const Model<float> model(s, 1);
                std::uint64_t values = 0, task_name_bytes = 0;
                for (const auto* p : model.parameters()) {
                    values += p->size();
                    for (int k = 0; k < K; ++k)  // a task's parameter: "<task>." or ".<task>." in its name
                        if (p->name().starts_with(std::string(names[k]) + ".") || p->name().find("." + std::string(names[k]) + ".") != std::string::npos)
                            task_name_bytes += std::strlen(names[k]);
                }
                const ParameterCount count = parameter_count(s);
                INFO("arch " << int(arch) << ", levels " << levels << ", tasks " << K);
                CHECK(count.tensors == model.parameters().size());
                CHECK(count.values == values);
                CHECK(count.task_name_bytes == task_name_bytes);
            }
        }
    }
    // Far beyond any memory, in no time: the counts saturate.
    ModelSpec huge;
    huge.inputs = std::numeric_limits<int>::max();
    huge.trunk = {std::numeric_limits<int>::max(), std::numeric_limits<int>::max()};
    huge.arch = Architecture::ple;
    huge.experts = huge.task_experts = huge.levels = std::numeric_limits<int>::max();
    huge.tasks = std::vector<TaskSpec>(64, TaskSpec{"t", TaskKind::multiclass, std::numeric_limits<int>::max(), 0, {}});
    CHECK(parameter_count(huge).values == UINT64_MAX);
}

TEST_CASE("model file: float models round-trip bit for bit, every architecture, with preprocessing", "[model_file]") {
    for (const Architecture arch : kArchitectures) round_trips_bitwise<float>(arch);
}

TEST_CASE("model file: double models round-trip bit for bit, every architecture, with preprocessing", "[model_file]") {
    for (const Architecture arch : kArchitectures) round_trips_bitwise<double>(arch);
}

TEST_CASE("model file: the header's bytes, little-endian", "[model_file]") {
    const ModelFile file = tiny_file();
    const std::string bytes = encode_model(file);
    CHECK(hex(bytes.substr(0, 8)) == "89485944410d0a1a");  // the signature
    CHECK(hex(bytes.substr(8, 4)) == "02000000");          // version 2
    BinaryWriter length;
    length.put<std::uint64_t>(bytes.size());
    CHECK(hex(bytes.substr(12, 8)) == hex(length.bytes()));
    CHECK(hex(bytes.substr(20, 1)) == "00");               // float32
    CHECK(hex(bytes.substr(21, 4)) == "03000000");         // 3 inputs
    CHECK(hex(bytes.substr(25, 12)) == "0100000000000000" "02000000");  // trunk {2}
    const std::uint32_t crc = crc32(std::string_view(bytes).substr(0, bytes.size() - 4));
    const std::string stored = bytes.substr(bytes.size() - 4);
    CHECK(std::uint32_t(std::uint8_t(stored[0]) | std::uint8_t(stored[1]) << 8 | std::uint8_t(stored[2]) << 16 | std::uint32_t(std::uint8_t(stored[3])) << 24) == crc);

    ModelFile wide = file;
    wide.precision = Precision::float64;
    CHECK(hex(encode_model(wide).substr(20, 1)) == "01");
}

TEST_CASE("model file: every truncation is refused as a truncation", "[model_file]") {
    const std::string bytes = encode_model(tiny_file());
    CHECK_THAT(message_of(""), Contains("empty file"));
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        INFO(n << " of " << bytes.size() << " bytes");
        CHECK_THAT(message_of(bytes.substr(0, n)), Contains("truncated"));
    }
}

TEST_CASE("model file: any byte changed is refused (signature, version, length or checksum)", "[model_file]") {
    const std::string bytes = encode_model(tiny_file());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (const unsigned char flip : {0x01, 0x80, 0xff}) {
            std::string bad = bytes;
            bad[i] = char(bad[i] ^ flip);
            const std::string m = message_of(bad);
            INFO("byte " << i << " ^ " << int(flip) << ": " << m);
            if (i < 8) CHECK_THAT(m, Contains("not a hyda model"));
            else if (i < 12) CHECK_THAT(m, Contains("model format version"));
            else if (i < 20) CHECK_THAT(m, Contains("its header says"));
            else CHECK_THAT(m, Contains("checksum does not match") && Contains("corrupt"));
        }
    }
}

TEST_CASE("model file: another version is refused, a newer one with a hint", "[model_file]") {
    const std::string body = reference_body(tiny_file());
    CHECK_THAT(message_of(framed(body, 3)), Contains("model format version 3; this hyda reads version 2") && Contains("newer hyda"));
    CHECK_THAT(message_of(framed(body, 1)), Contains("model format version 1; this hyda reads version 2"));
    CHECK_NOTHROW(decode_model(framed(body, 2), "m.model"));
}

TEST_CASE("model file: foreign files are refused for what they are", "[model_file]") {
    TempDir dir("foreign");
    auto refused = [&](const std::string& name, const std::string& bytes) {
        write_bytes(dir / name, bytes);
        const DataError e = data_error_of([&] { load_model(dir / name); });
        CHECK(e.file() == dir / name);
        return std::string(e.what());
    };
    CHECK_THAT(refused("empty.model", ""), Contains("an empty file, not a hyda model"));
    CHECK_THAT(refused("image.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)), Contains("not a hyda model file"));
    CHECK_THAT(refused("data.csv", kCsv), Contains("not a hyda model file"));
    CHECK_THAT(refused("other.json", "{\"a\": 1}"), Contains("not a hyda model file"));
    const std::string old = refused("old.json", " {\"format\": \"hyda-model\", \"version\": 1, \"precision\": \"float\", \"model\": {}}\n");
    CHECK_THAT(old, Contains("a JSON model file from an older hyda") && Contains("train the model again"));
    CHECK_THAT(std::string(data_error_of([&] { load_model(dir / "missing.model"); }).what()), Contains("missing.model") && Contains("cannot read"));
}

TEST_CASE("model file: a declared 1e12-element tensor is refused by its size, before any allocation", "[model_file]") {
    ModelFile f = tiny_file();
    f.parameters = {{"trunk0.W", 1000000, 1000000, {}}};
    f.metadata.clear();
    const std::string bytes = framed(reference_body(f));  // valid checksum: the size check must stop it
    const std::string m = message_of(bytes);
    CHECK_THAT(m, Contains("parameter 'trunk0.W' [1000000 x 1000000]: 1000000000000 values of 4 bytes, more than the"));
    CHECK_THAT(m, Contains("bytes left in the file"));
}

TEST_CASE("model file: a spec larger than the values present is refused before the model is built", "[model_file]") {
    const ModelFile good = tiny_file();
    auto refused = [&](auto change) {
        ModelFile f = good;
        change(f);
        return message_of(framed(reference_body(f)));
    };
    // A 1e12-value trunk, 2^31-wide experts at 2^31 levels, 2^31 classes: each refused by
    // the count (a build would exhaust memory or time).
    CHECK_THAT(refused([](ModelFile& f) { f.spec.trunk = {1000000, 1000000}; }),
               Contains("parameters of 11 values, the model of the spec has") && Contains("bad model file"));
    CHECK_THAT(refused([](ModelFile& f) {
                   f.spec.arch = Architecture::ple;
                   f.spec.experts = f.spec.task_experts = f.spec.levels = std::numeric_limits<int>::max();
               }),
               Contains("the model of the spec has"));
    CHECK_THAT(refused([](ModelFile& f) {
                   f.spec.tasks[0].kind = TaskKind::multiclass;
                   f.spec.tasks[0].classes = std::numeric_limits<int>::max();
               }),
               Contains("the model of the spec has"));
    // A count beyond the limits, or the bytes present.
    CHECK_THAT(refused([](ModelFile& f) { f.spec.trunk = std::vector<int>(2000, 1); }), Contains("trunk layers: 2000 elements, more than the limit of 1024"));
    CHECK_THAT(refused([](ModelFile& f) { f.spec.tasks = std::vector<TaskSpec>(65, f.spec.tasks[0]); }), Contains("tasks: 65 elements"));
    CHECK_THAT(refused([](ModelFile& f) { f.spec.tasks[0].name = std::string(max_model_text_bytes + 1, 'a'); }), Contains("task name"));
    CHECK_THAT(refused([](ModelFile& f) { f.spec.inputs = -1; }), Contains("inputs must be >= 1"));
    // Valid sizes, wrong names: refused by model_of, naming the parameter.
    ModelFile renamed = good;
    renamed.parameters[0].name = "trunk9.W";
    const ModelFile decoded = decode_model(framed(reference_body(renamed)), "m.model");
    CHECK_THAT(std::string(data_error_of([&] { model_of<float>(decoded, "m.model"); }).what()), Contains("'trunk9.W'") && Contains("expects 'trunk0.W'"));
    CHECK_THAT(std::string(data_error_of([&] { model_of<double>(decoded, "m.model"); }).what()), Contains("a float32 model, read as a float64 one"));
    // Task names longer than the parameter names that must hold them.
    ModelFile long_name = good;
    long_name.spec.tasks[0].name = std::string(100, 'y');
    CHECK_THAT(message_of(framed(reference_body(long_name))), Contains("parameter names are shorter"));
}

TEST_CASE("model file: bad values in the body are refused, and never saved", "[model_file]") {
    const Table table = table_of(kCsv);
    const Preprocessor pre = fitted(table);
    const ModelFile good = model_file_of(Model<float>(spec_of(pre, Architecture::hps), 1), pre, "");
    // decodes: the body still parses (the values are as many as the shape says).
    auto refused = [&](auto change, const std::string& why, bool decodes = true) {
        ModelFile f = good;
        change(f);
        CHECK_THAT(invalid_argument_message([&] { encode_model(f); }), Contains(why));
        if (decodes) CHECK_THAT(message_of(framed(reference_body(f))), Contains("bad model file: ") && Contains(why));
    };
    refused([](ModelFile& f) { f.parameters[2].values[1] = std::nan(""); }, "parameter 'trunk1.W': value 1 is nan, not a finite float");
    refused([](ModelFile& f) { f.parameters[0].values[0] = 1e300; }, "value 0 is 1e+300, not a finite float", false);
    CHECK_THAT(message_of(framed(reference_body([&] {
                   ModelFile f = good;
                   f.parameters[0].values[0] = std::numeric_limits<double>::infinity();
                   return f;
               }()))),
               Contains("value 0 is inf, not a finite float"));
    refused([](ModelFile& f) { f.preprocessor.features[1].levels = {"b", "a", "c"}; }, "feature 'size': the levels are not sorted and distinct");
    refused([](ModelFile& f) { f.preprocessor.targets[1].scale = 0; }, "target 'r': mean");
    refused([](ModelFile& f) { f.preprocessor.targets[3].levels.pop_back(); }, "target 'cls' does not fit the model's task 3");
    refused([](ModelFile& f) { f.preprocessor.targets.pop_back(); }, "3 targets for a model of 4 tasks");
    refused([](ModelFile& f) { f.preprocessor.features[0].missing_indicator = !f.preprocessor.features[0].missing_indicator; }, "encoded inputs for a model of");
    refused([](ModelFile& f) { f.parameters.pop_back(); }, "the model of the spec has");
    refused([](ModelFile& f) { f.parameters[0].rows += 1; }, "values for a shape of", false);

    // Codes and flags outside their range; bytes between the metadata and the checksum.
    std::string body = reference_body(good);
    body[0] = 2;
    CHECK_THAT(message_of(framed(body)), Contains("byte 20: unknown precision code 2"));
    body = reference_body(good) + "x";
    CHECK_THAT(message_of(framed(body)), Contains("1 bytes after the metadata"));
}

TEST_CASE("model file: save and load through a file, atomically", "[model_file]") {
    TempDir dir("save");
    const ModelFile file = tiny_file();
    save_model(dir / "m.model", file);
    CHECK_FALSE(std::filesystem::exists(dir / "m.model.tmp"));
    CHECK(encode_model(load_model(dir / "m.model")) == encode_model(file));
    CHECK_THROWS_AS(save_model(dir / "no/such/dir/m.model", file), std::runtime_error);
    CHECK_FALSE(std::filesystem::exists(dir / "no"));
    ModelFile bad = file;
    bad.parameters.clear();
    CHECK_THROWS_AS(save_model(dir / "m.model", bad), std::invalid_argument);
    CHECK(encode_model(load_model(dir / "m.model")) == encode_model(file));  // the previous file stays
}

TEMPLATE_TEST_CASE("Predictor: a table's predictions in the targets' units, encoded inputs alike, from many threads", "[model_file]", float, double) {
    using T = TestType;
    const Table table = table_of(kCsv);
    const Preprocessor pre = fitted(table);
    const Model<T> model(spec_of(pre, Architecture::cgc), 11);
    const std::vector<int> rows = {6, 0, 3, 4};
    const Predictor predictor(model_file_of(model, pre, "meta"), "m.model");
    CHECK(predictor.inputs() == pre.inputs());
    CHECK(predictor.file().metadata == "meta");
    CHECK(predictor.file().parameters.empty());

    // mtl::predict, then the target units by hand: y probability, r = z * sd + mean,
    // lr = expm1(z * sd + mean), cls probabilities.
    const Dataset<T> encoded = pre.transform<T>(table, rows, false);
    std::vector<std::vector<double>> expected = predict(model, encoded);
    for (double& v : expected[1]) v = v * pre.targets[1].scale + pre.targets[1].mean;
    for (double& v : expected[2]) v = std::expm1(v * pre.targets[2].scale + pre.targets[2].mean);
    REQUIRE(expected[3].size() == rows.size() * 3);
    const auto got = predictor.predict(table, rows);
    CHECK(got == expected);
    // 10,000 rows, past the chunks predict encodes at a time: each row's numbers as above.
    std::vector<int> many;
    std::vector<std::vector<double>> many_expected(expected.size());
    for (int copy = 0; copy < 2500; ++copy) {
        many.insert(many.end(), rows.begin(), rows.end());
        for (std::size_t k = 0; k < expected.size(); ++k) many_expected[k].insert(many_expected[k].end(), expected[k].begin(), expected[k].end());
    }
    CHECK(predictor.predict(table, many) == many_expected);

    // The same rows encoded as floats: equal for a float model; for a double model, equal
    // to predicting on the float-rounded inputs.
    const std::vector<float> x(encoded.x.begin(), encoded.x.end());
    const auto from_inputs = predictor.predict_inputs(x, int(rows.size()));
    if constexpr (std::is_same_v<T, float>) {
        CHECK(from_inputs == got);
    } else {
        Dataset<T> rounded = encoded;
        rounded.x.assign(x.begin(), x.end());
        std::vector<std::vector<double>> widened = predict(model, rounded);
        for (double& v : widened[1]) v = v * pre.targets[1].scale + pre.targets[1].mean;
        for (double& v : widened[2]) v = std::expm1(v * pre.targets[2].scale + pre.targets[2].mean);
        CHECK(from_inputs == widened);
    }
    CHECK_THAT(invalid_argument_message([&] { predictor.predict_inputs(x, 3); }), Contains("values for 3 rows of"));
    // As doubles: read in place by a double model, rounded to float (exactly, here) by a float one.
    const std::vector<double> x64(encoded.x.begin(), encoded.x.end());
    CHECK(predictor.predict_inputs(x64, int(rows.size())) == got);

    // Concurrent calls on one Predictor give every thread the same numbers.
    std::vector<std::vector<std::vector<double>>> results(4);
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&] { r = predictor.predict(table, rows); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) CHECK(r == got);
}

TEST_CASE("Predictor: without a preprocessor, encoded inputs only; a bad file is a DataError", "[model_file]") {
    TempDir dir("predictor");
    const ModelFile file = tiny_file();
    save_model(dir / "m.model", file);
    const Predictor p = Predictor::load(dir / "m.model");
    const std::vector<float> x = {0.5f, -1, 2, 0, 0, 0};
    const Model<float> model = model_of<float>(file, "m.model");
    Dataset<float> data;
    data.rows = 2;
    data.features = 3;
    data.x = x;
    CHECK(p.predict_inputs(x, 2) == predict(model, data));  // probabilities, no units to convert
    const Table table = table_of(kCsv);
    CHECK_THAT(invalid_argument_message([&] { p.predict(table, all_rows(table)); }), Contains("no preprocessor"));
    write_bytes(dir / "bad.model", "nope");
    CHECK_THAT(std::string(data_error_of([&] { Predictor::load(dir / "bad.model"); }).what()), Contains("bad.model") && Contains("not a hyda model"));
}
