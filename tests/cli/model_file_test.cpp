// The hyda command's model files: mtl's binary model format (tests/mtl/model_file_test.cpp
// covers its bytes and its loader) with the command's training record in the metadata.
// The record reloads exactly; a damaged, foreign or old file is refused with its name and
// the bad-data exit code.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "hyda/mtl/data_error.hpp"
#include "model_file.hpp"

using namespace cli_test;
using namespace hyda;
using Catch::Contains;

namespace {

cli::TrainingRecord example_record() {
    cli::TrainingRecord r;
    r.data.data = "data.csv";
    r.data.main = "label=yes";
    r.data.aux = {"score:regression"};
    r.data.split_counts = {40, 25};
    r.data.seed = 123456789012345ull;
    r.data.relatedness = {"score=rel"};
    r.data_rows = 600;
    r.data_bytes = 12345;
    r.setup.arch = "ple";
    r.setup.levels = 3;
    r.setup.on_nan = "skip";
    r.setup.batch_mix = "g";
    r.setup.mix_concentration = 0.1 + 0.2;
    r.method = {"hydalearn:gain=exact", "hydalearn", {"gain=exact"}, true};
    r.test_metrics = {{"label", {{"roc_auc", 0.1 + 0.7}}}};
    return r;
}

// A valid model file of a small model with the given metadata.
mtl::ModelFile model_with(const std::string& metadata) {
    mtl::ModelSpec spec;
    spec.inputs = 2;
    spec.trunk = {3};
    spec.tasks = {mtl::TaskSpec{"label", mtl::TaskKind::binary, 2, 0, {}}};
    return mtl::model_file_of(mtl::Model<float>(spec, 1), mtl::Preprocessor{}, metadata);
}

}  // namespace

TEST_CASE("model file: the training record reloads exactly from the metadata", "[cli]") {
    TempDir dir("model_file_record");
    const cli::TrainingRecord record = example_record();
    mtl::save_model(dir / "m.model", model_with(cli::training_metadata(record)));
    const cli::TrainingRecord back = cli::training_record(mtl::load_model(dir / "m.model"), "m.model");
    CHECK(back.data.data == "data.csv");
    CHECK(back.data.aux == record.data.aux);
    CHECK(back.data.split_counts == std::vector<int>{40, 25});
    CHECK(back.data.seed == 123456789012345ull);
    CHECK(back.data.relatedness == record.data.relatedness);
    CHECK((back.data_rows == 600 && back.data_bytes == 12345));
    CHECK((back.setup.arch == "ple" && back.setup.levels == 3 && back.setup.experts == 0));
    CHECK((back.setup.on_nan == "skip" && back.setup.batch_mix == "g" && back.setup.mix_concentration == 0.1 + 0.2));
    CHECK((back.method.label == "hydalearn:gain=exact" && back.method.options == std::vector<std::string>{"gain=exact"} && back.method.oracle));
    CHECK(back.test_metrics["label"]["roc_auc"].get<double>() == 0.1 + 0.7);

    // A model saved by another program has no record: bad data, naming the file.
    const mtl::DataError none = [&] {
        try {
            cli::training_record(model_with(""), "other.model");
        } catch (const mtl::DataError& e) {
            return e;
        }
        FAIL("accepted a model without a training record");
        return mtl::DataError("", 0, "", "");
    }();
    CHECK_THAT(none.what(), Contains("other.model: bad model file: no training record of the hyda command"));
}

TEST_CASE("model file: hyda writes the binary format, and refuses damaged, foreign and old files with exit code 3", "[cli]") {
    TempDir dir("model_file_errors");
    write_file(dir / "data.csv", small_csv(120));
    const Result train = run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") +
                                  std::vector<std::string>{"--out", dir / "m.model", "--quiet"});
    INFO(train.err);
    REQUIRE(train.code == 0);
    const std::string good = read_file(dir / "m.model");
    CHECK(good.starts_with("\x89HYDA\r\n\x1a"));
    CHECK_FALSE(std::filesystem::exists(dir / "m.model.tmp"));

    auto refused = [&](const std::string& bytes, const std::string& why) {
        write_file(dir / "bad.model", bytes);
        for (const char* command : {"predict", "eval"}) {
            const Result r = run_hyda({command, "--model", dir / "bad.model", "--data", dir / "data.csv"});
            INFO(command << ": " << r.err);
            CHECK(r.code == 3);
            CHECK_THAT(r.err, Contains("hyda: bad data: " + (dir / "bad.model") + ": ") && Contains(why));
        }
    };
    refused(good.substr(0, good.size() - 1), "truncated");
    std::string flipped = good;
    flipped[good.size() / 2] = char(flipped[good.size() / 2] ^ 4);
    refused(flipped, "the checksum does not match");
    refused("id,x1\n1,2\n", "not a hyda model file");
    refused("{\"format\": \"hyda-model\", \"version\": 1, \"precision\": \"float\"}", "a JSON model file from an older hyda");
    refused(mtl::encode_model(model_with("")), "no training record");
    // Metadata built to exhaust the JSON parser's memory: refused by depth and by size.
    refused(mtl::encode_model(model_with(std::string(100000, '['))), "nested deeper than a training record");
    refused(mtl::encode_model(model_with(std::string((std::size_t(1) << 20) + 1, ' '))), "more than a training record");
}
