// inspect's JSON read back and compared, number by number, with the library's own
// Trainer::inspect on the same batch: equal bit for bit for a double model.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/trainer.hpp"
#include "hyda/mtl/model_file.hpp"

using namespace cli_test;
using namespace hyda;

namespace {

mtl::Introspection library_inspect(const mtl::Model<double>& trained, const std::string& method, const std::vector<std::string>& options,
                                   const mtl::Dataset<double>& batch, const mtl::Dataset<double>& held_out) {
    mtl::Model<double> model = trained;
    const auto strategy = mtl::make_strategy(method, model.tasks(), 0, options);
    mtl::TrainOptions o;  // what the model was trained with below
    o.batch_size = 32;
    o.lr = 1e-3;
    o.optimizer = mtl::OptimizerKind::adam;
    o.seed = 3;
    mtl::Trainer<double> trainer(model, *strategy, o);
    std::vector<int> rows(std::size_t(batch.rows));
    for (int i = 0; i < batch.rows; ++i) rows[std::size_t(i)] = i;
    return trainer.inspect(batch, rows, &held_out);
}

void check_same(const nlohmann::json& j, const std::vector<double>& v) {
    REQUIRE(j.size() == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(j[i].get<double>() == v[i]);
}

}  // namespace

TEST_CASE("inspect: every number equals the library's introspection at full precision", "[cli]") {
    TempDir dir("inspect");
    write_file(dir / "data.csv", small_csv(400));
    const Result train = run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") +
                              std::vector<std::string>{"--precision", "double", "--seed", "3", "--out", dir / "m.json", "--quiet"});
    REQUIRE(train.code == 0);
    const Result r = run_hyda({"inspect", "--model", dir / "m.json", "--data", dir / "data.csv", "--part", "train", "--rows", "5:21", "--method", "pcgrad"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);

    // The same batch, built from the library: the split from the seed, the stored encoding.
    const mtl::ModelFile file = mtl::load_model(dir / "m.json");
    const mtl::Model<double> model = mtl::model_of<double>(file, "m.json");
    const mtl::Table table = mtl::read_table(dir / "data.csv");
    const auto parts = mtl::stratified_split(table, mtl::parse_target("label=yes"), 0.6, 0.2, 3);
    const std::vector<int> rows(parts[0].begin() + 5, parts[0].begin() + 21);
    const mtl::Dataset<double> batch = file.preprocessor.transform<double>(table, rows);
    const mtl::Dataset<double> validation = file.preprocessor.transform<double>(table, parts[1]);

    CHECK(j["rows"].get<std::vector<int>>() == rows);
    CHECK(j["inputs"].get<std::vector<std::string>>() == file.preprocessor.input_names());
    REQUIRE(j["x"].size() == 16);
    for (int i = 0; i < 16; ++i)
        check_same(j["x"][std::size_t(i)], std::vector<double>(batch.x.begin() + i * batch.features, batch.x.begin() + (i + 1) * batch.features));
    for (std::size_t k = 0; k < 3; ++k) {
        const auto& task = j["tasks"][k];
        for (std::size_t i = 0; i < 16; ++i) {
            const double y = batch.labels[k][i];
            CHECK(task["mask"][i].get<int>() == (std::isnan(y) ? 0 : 1));
            if (std::isnan(y)) CHECK(task["targets"][i].is_null());
            else CHECK(task["targets"][i].get<double>() == y);
        }
    }
    REQUIRE(j["parameters"].size() == model.parameters().size());
    for (std::size_t p = 0; p < model.parameters().size(); ++p) {
        const auto& param = *model.parameters()[p];
        CHECK(j["parameters"][p]["name"] == param.name());
        CHECK(j["parameters"][p]["rows"] == param.rows());
        CHECK(j["parameters"][p]["layout"] == "row-major");
        check_same(j["parameters"][p]["values"], std::vector<double>(param.value().data(), param.value().data() + param.size()));
    }

    const mtl::Introspection chosen = library_inspect(model, "pcgrad", {}, batch, validation);
    const mtl::Introspection first_order = library_inspect(model, "hydalearn", {"gain=first_order"}, batch, validation);
    const mtl::Introspection exact = library_inspect(model, "hydalearn", {"gain=exact"}, batch, validation);
    check_same(j["losses"], chosen.losses);
    check_same(j["gram"], chosen.gram);
    check_same(j["weights"], chosen.coefficients);
    CHECK(j["shared_parameters"].get<std::vector<std::string>>() == chosen.shared_parameters);
    for (std::size_t k = 0; k < 3; ++k) check_same(j["task_gradients"][k], chosen.task_gradients[k]);
    check_same(j["gains"]["first_order"], first_order.gains);
    check_same(j["gains"]["exact"], exact.gains);
    check_same(j["hydalearn_weights"]["exact"], exact.coefficients);
    // A check that can fail: the two gains differ, and the gradients are not all zero.
    CHECK(first_order.gains != exact.gains);
    CHECK(chosen.gram[0] > 0);
}

TEST_CASE("inspect: a row range outside the part is a usage error", "[cli]") {
    TempDir dir("inspect_rows");
    write_file(dir / "data.csv", small_csv(100));
    REQUIRE(run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--out", dir / "m.json", "--quiet"}).code == 0);
    for (const char* rows : {"5:5", "0:101", "a:b", "7"})
        CHECK(run_hyda({"inspect", "--model", dir / "m.json", "--data", dir / "data.csv", "--rows", rows}).code == 2);
    CHECK(run_hyda({"inspect", "--model", dir / "m.json", "--data", dir / "data.csv", "--rows", "0:100"}).code == 0);
}
