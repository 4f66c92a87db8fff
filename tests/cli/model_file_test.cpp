// The model file: every parameter and preprocessing number reloads bit for bit, in float
// and double; a save is atomic; a damaged file is refused with its name.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "hyda/mtl/data_error.hpp"
#include "model_file.hpp"

using namespace cli_test;
using namespace hyda;

namespace {

cli::ModelFile example_file() {
    cli::ModelFile f;
    f.preprocessor.features = {{"x1", mtl::ColumnType::numeric, 0.1 + 0.2, 1.0 / 3, true, {}},
                               {"color", mtl::ColumnType::categorical, 0, 1, false, {"blue", "green", "red"}}};
    f.preprocessor.targets = {{"label", mtl::TargetKind::binary, "yes", 0, 1, {}},
                              {"score", mtl::TargetKind::logregression, "", std::nextafter(2.0, 3.0), 1e-300, {}},
                              {"grade", mtl::TargetKind::multiclass, "", 0, 1, {"A", "B", "C"}}};
    f.spec.inputs = f.preprocessor.inputs();
    f.spec.trunk = {5, 3};
    f.spec.activation = mtl::Activation::gelu;
    f.spec.dropout = 0.25;
    f.spec.tasks = f.preprocessor.tasks();
    f.spec.tasks[1].huber_delta = 1.5;
    f.spec.tasks[2].head_hidden = {4};
    f.spec.init = mtl::Init::he_xavier;
    f.training.data.data = "data.csv";
    f.training.data.seed = 123456789012345ull;
    f.training.data_rows = 600;
    f.training.data_bytes = 12345;
    f.training.method = {"hydalearn:gain=exact", "hydalearn", {"gain=exact"}};
    f.training.test_metrics = {{"label", {{"roc_auc", 0.1 + 0.7}}}};
    return f;
}

template <class T>
void reloads_bitwise(const std::string& precision) {
    TempDir dir("model_file_" + precision);
    cli::ModelFile file = example_file();
    file.precision = precision;
    mtl::Model<T> model(file.spec, 7);
    // Values whose text is hard to get right: the extremes, a subnormal, -0.
    T* first = model.parameters()[0]->value().data();
    first[0] = std::numeric_limits<T>::max();
    first[1] = std::numeric_limits<T>::denorm_min();
    first[2] = -T(0);
    first[3] = std::numeric_limits<T>::min();
    first[4] = T(1) / T(3);
    file.parameters = cli::parameters_of(model);
    cli::save_model(dir / "m.json", file);
    CHECK_FALSE(std::filesystem::exists(dir / "m.json.tmp"));

    const cli::ModelFile back = cli::load_model(dir / "m.json");
    const mtl::Model<T> reloaded = cli::model_of<T>(back, "m.json");
    REQUIRE(reloaded.parameters().size() == model.parameters().size());
    for (std::size_t i = 0; i < model.parameters().size(); ++i) {
        const auto& a = model.parameters()[i]->value();
        const auto& b = reloaded.parameters()[i]->value();
        REQUIRE(a.size() == b.size());
        CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
    }
    CHECK(std::signbit(reloaded.parameters()[0]->value().data()[2]));
    CHECK(back.precision == precision);
    CHECK(back.preprocessor.features[0].mean == 0.1 + 0.2);
    CHECK(back.preprocessor.features[0].scale == 1.0 / 3);
    CHECK(back.preprocessor.features[1].levels == file.preprocessor.features[1].levels);
    CHECK(back.preprocessor.targets[1].mean == std::nextafter(2.0, 3.0));
    CHECK(back.preprocessor.targets[1].scale == 1e-300);
    CHECK(back.preprocessor.targets[1].kind == mtl::TargetKind::logregression);
    CHECK(back.spec.activation == mtl::Activation::gelu);
    CHECK(back.spec.init == mtl::Init::he_xavier);
    CHECK(back.spec.dropout == 0.25);
    CHECK(back.spec.tasks[1].huber_delta == 1.5);
    CHECK(back.spec.tasks[2].head_hidden == std::vector<int>{4});
    CHECK(back.training.data.seed == 123456789012345ull);
    CHECK(back.training.method.options == std::vector<std::string>{"gain=exact"});
    CHECK(back.training.test_metrics["label"]["roc_auc"].get<double>() == 0.1 + 0.7);
}

}  // namespace

TEST_CASE("model file: a gated model keeps its architecture; a file without one is a trunk (hps)", "[cli]") {
    TempDir dir("model_file_arch");
    cli::ModelFile file = example_file();
    file.spec.arch = mtl::Architecture::ple;
    file.spec.experts = 3;
    file.spec.task_experts = 2;
    file.spec.levels = 3;
    file.training.setup.arch = "ple";
    file.training.setup.levels = 3;
    const mtl::Model<float> model(file.spec, 7);
    file.parameters = cli::parameters_of(model);
    cli::save_model(dir / "m.json", file);
    const cli::ModelFile back = cli::load_model(dir / "m.json");
    CHECK(back.spec.arch == mtl::Architecture::ple);
    CHECK((back.spec.experts == 3 && back.spec.task_experts == 2 && back.spec.levels == 3));
    CHECK((back.training.setup.arch == "ple" && back.training.setup.levels == 3 && back.training.setup.experts == 0));
    CHECK(cli::model_of<float>(back, "m.json").snapshot() == model.snapshot());

    // The same file as one written before the architectures: without them, it names
    // parameters a trunk model does not have.
    nlohmann::json j = nlohmann::json::parse(read_file(dir / "m.json"));
    for (const char* key : {"arch", "experts", "task_experts", "levels"}) j["model"].erase(key), j["training"]["setup"].erase(key);
    write_file(dir / "old.json", j.dump());
    const cli::ModelFile old = cli::load_model(dir / "old.json");
    CHECK(old.spec.arch == mtl::Architecture::hps);
    CHECK(old.training.setup.arch == "hps");
    CHECK_THROWS_AS(cli::model_of<float>(old, "old.json"), mtl::DataError);
}

TEST_CASE("model file: float parameters reload bit for bit", "[cli]") { reloads_bitwise<float>("float"); }
TEST_CASE("model file: double parameters reload bit for bit", "[cli]") { reloads_bitwise<double>("double"); }

TEST_CASE("model file: a failed save leaves nothing; a damaged file is refused with its name", "[cli]") {
    TempDir dir("model_file_errors");
    cli::ModelFile file = example_file();
    file.parameters = cli::parameters_of(mtl::Model<float>(file.spec, 1));
    CHECK_THROWS(cli::save_model(dir / "no/such/dir/m.json", file));
    CHECK_FALSE(std::filesystem::exists(dir / "no"));

    cli::save_model(dir / "m.json", file);
    const std::string good = read_file(dir / "m.json");
    auto refused = [&](const std::string& text, const std::string& why) {
        write_file(dir / "bad.json", text);
        try {
            cli::model_of<float>(cli::load_model(dir / "bad.json"), dir / "bad.json");
            FAIL("accepted: " << why);
        } catch (const mtl::DataError& e) {
            CHECK_THAT(e.what(), Catch::Contains("bad.json") && Catch::Contains(why));
        }
    };
    refused(good.substr(0, good.size() / 2), "bad model file");  // truncated
    refused("{\"format\": \"something else\"}", "not a hyda model file");
    std::string renamed = good;
    renamed.replace(renamed.find("\"trunk0.W\""), 10, "\"trunk9.W\"");
    refused(renamed, "trunk9.W");
    std::string kind = good;
    kind.replace(kind.find("\"gelu\""), 6, "\"swish\"");
    refused(kind, "swish");
}
