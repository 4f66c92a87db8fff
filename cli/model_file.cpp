#include "model_file.hpp"

#include <stdexcept>

#include "hyda/mtl/data_error.hpp"

namespace hyda::cli {

void to_json(nlohmann::json& j, const DataOptions& o) {
    j = {{"file", o.data}, {"main", o.main}, {"aux", o.aux},           {"drop", o.drop},       {"types", o.types},
         {"split", o.split}, {"split_rows", o.split_counts}, {"seed", o.seed}, {"threads", o.threads}, {"precision", o.precision}, {"relatedness", o.relatedness}};
}
void from_json(const nlohmann::json& j, DataOptions& o) {
    j.at("file").get_to(o.data);
    j.at("main").get_to(o.main);
    j.at("aux").get_to(o.aux);
    j.at("drop").get_to(o.drop);
    j.at("types").get_to(o.types);
    j.at("split").get_to(o.split);
    j.at("split_rows").get_to(o.split_counts);
    j.at("seed").get_to(o.seed);
    j.at("threads").get_to(o.threads);
    j.at("precision").get_to(o.precision);
    j.at("relatedness").get_to(o.relatedness);
}

void to_json(nlohmann::json& j, const TrainingSetup& o) {
    j = {{"trunk", o.trunk},         {"activation", o.activation},     {"dropout", o.dropout}, {"batch", o.batch},
         {"arch", o.arch},           {"experts", o.experts},           {"task_experts", o.task_experts}, {"levels", o.levels},
         {"lr", o.lr},               {"optimizer", o.optimizer},       {"weight_decay", o.weight_decay},
         {"epochs", o.epochs},       {"patience", o.patience},         {"on_nan", o.on_nan}, {"order_by", o.order_by}, {"batch_groups", o.batch_groups},
         {"batch_mix", o.batch_mix}, {"mix_concentration", o.mix_concentration}};
}
void from_json(const nlohmann::json& j, TrainingSetup& o) {
    j.at("trunk").get_to(o.trunk);
    j.at("activation").get_to(o.activation);
    j.at("dropout").get_to(o.dropout);
    j.at("batch").get_to(o.batch);
    j.at("lr").get_to(o.lr);
    j.at("optimizer").get_to(o.optimizer);
    j.at("weight_decay").get_to(o.weight_decay);
    j.at("epochs").get_to(o.epochs);
    j.at("patience").get_to(o.patience);
    j.at("on_nan").get_to(o.on_nan);
    // For the record only (predict and eval do not batch).
    j.at("order_by").get_to(o.order_by);
    j.at("batch_groups").get_to(o.batch_groups);
    j.at("batch_mix").get_to(o.batch_mix);
    j.at("mix_concentration").get_to(o.mix_concentration);
    j.at("arch").get_to(o.arch);
    j.at("experts").get_to(o.experts);
    j.at("task_experts").get_to(o.task_experts);
    j.at("levels").get_to(o.levels);
}

void to_json(nlohmann::json& j, const Method& m) { j = {{"label", m.label}, {"strategy", m.strategy}, {"options", m.options}, {"oracle", m.oracle}}; }
void from_json(const nlohmann::json& j, Method& m) {
    j.at("label").get_to(m.label);
    j.at("strategy").get_to(m.strategy);
    j.at("options").get_to(m.options);
    j.at("oracle").get_to(m.oracle);
}

void to_json(nlohmann::json& j, const TrainingRecord& r) {
    j = {{"data", r.data}, {"data_rows", r.data_rows}, {"data_bytes", r.data_bytes}, {"setup", r.setup}, {"method", r.method}, {"test_metrics", r.test_metrics}};
}
void from_json(const nlohmann::json& j, TrainingRecord& r) {
    j.at("data").get_to(r.data);
    j.at("data_rows").get_to(r.data_rows);
    j.at("data_bytes").get_to(r.data_bytes);
    j.at("setup").get_to(r.setup);
    j.at("method").get_to(r.method);
    r.test_metrics = j.at("test_metrics");
}

std::string training_metadata(const TrainingRecord& record) { return nlohmann::json(record).dump(1); }

TrainingRecord training_record(const mtl::ModelFile& file, const std::string& source) {
    // A record is a few KiB nested 3 deep. Bounds on size and depth keep a hostile file's
    // metadata (up to max_model_metadata_bytes) from costing nlohmann's ~75 bytes of memory
    // per byte of "[[[[...".
    constexpr std::size_t max_record_bytes = std::size_t(1) << 20;
    constexpr int max_depth = 16;
    if (file.metadata.size() > max_record_bytes)
        throw mtl::DataError(source, 0, "", "bad model file: its metadata has " + std::to_string(file.metadata.size()) + " bytes, more than a training record of the hyda command (" +
                                                std::to_string(max_record_bytes) + ")");
    try {
        const auto shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > max_depth) throw std::invalid_argument("nested deeper than a training record (" + std::to_string(max_depth) + " levels)");
            return true;
        };
        return nlohmann::json::parse(file.metadata, shallow).get<TrainingRecord>();
    } catch (const std::invalid_argument& e) {
        throw mtl::DataError(source, 0, "", std::string("bad model file: no training record of the hyda command in its metadata: ") + e.what());
    } catch (const nlohmann::json::exception& e) {
        // The library's message without its "[json.exception.parse_error.101] " tag.
        const std::string what = e.what();
        const std::size_t tag_end = what.find("] ");
        throw mtl::DataError(source, 0, "", "bad model file: no training record of the hyda command in its metadata: " +
                                                (what.starts_with("[json.") && tag_end != std::string::npos ? what.substr(tag_end + 2) : what));
    }
}

}  // namespace hyda::cli
