#include "model_file.hpp"

#include <fstream>
#include <stdexcept>
#include <utility>

#include "hyda/mtl/atomic_file.hpp"
#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl {
namespace {

// Enums as text; an unknown text is an error (not silently the first value).
template <class E>
using Names = std::vector<std::pair<E, const char*>>;

template <class E>
void put_enum(nlohmann::json& j, E value, const Names<E>& names) {
    for (const auto& [v, text] : names)
        if (v == value) j = text;
}

template <class E>
E get_enum(const nlohmann::json& j, const Names<E>& names) {
    const std::string text = j.get<std::string>();
    std::string known;
    for (const auto& [v, name] : names) {
        if (text == name) return v;
        known += (known.empty() ? "" : ", ") + std::string(name);
    }
    throw std::runtime_error("unknown value \"" + text + "\" (expected one of: " + known + ")");
}

const Names<TaskKind> task_kinds = {{TaskKind::binary, "binary"}, {TaskKind::regression, "regression"}, {TaskKind::multiclass, "multiclass"}};
const Names<Activation> activations = {{Activation::relu, "relu"}, {Activation::leaky_relu, "leaky_relu"}, {Activation::gelu, "gelu"}, {Activation::tanh, "tanh"}};
const Names<Init> inits = {{Init::he_xavier, "he_xavier"}, {Init::fan_in_uniform, "fan_in_uniform"}, {Init::xavier, "xavier"}};
const Names<Architecture> architectures = {{Architecture::hps, "hps"}, {Architecture::mmoe, "mmoe"}, {Architecture::cgc, "cgc"}, {Architecture::ple, "ple"}};
const Names<ColumnType> column_types = {{ColumnType::numeric, "numeric"}, {ColumnType::categorical, "categorical"}};
const Names<TargetKind> target_kinds = {{TargetKind::binary, "binary"}, {TargetKind::regression, "regression"},
                                        {TargetKind::logregression, "logregression"}, {TargetKind::multiclass, "multiclass"}};

}  // namespace

// nlohmann finds these by argument-dependent lookup.
void to_json(nlohmann::json& j, const TaskSpec& t) {
    j = {{"name", t.name}, {"classes", t.classes}, {"huber_delta", t.huber_delta}, {"head_hidden", t.head_hidden}};
    put_enum(j["kind"], t.kind, task_kinds);
}
void from_json(const nlohmann::json& j, TaskSpec& t) {
    j.at("name").get_to(t.name);
    t.kind = get_enum(j.at("kind"), task_kinds);
    j.at("classes").get_to(t.classes);
    j.at("huber_delta").get_to(t.huber_delta);
    j.at("head_hidden").get_to(t.head_hidden);
}

void to_json(nlohmann::json& j, const ModelSpec& s) {
    j = {{"inputs", s.inputs}, {"trunk", s.trunk}, {"dropout", s.dropout}, {"tasks", s.tasks}, {"main_task", s.main_task},
         {"experts", s.experts}, {"task_experts", s.task_experts}, {"levels", s.levels}};
    put_enum(j["activation"], s.activation, activations);
    put_enum(j["init"], s.init, inits);
    put_enum(j["arch"], s.arch, architectures);
}
void from_json(const nlohmann::json& j, ModelSpec& s) {
    j.at("inputs").get_to(s.inputs);
    j.at("trunk").get_to(s.trunk);
    s.activation = get_enum(j.at("activation"), activations);
    j.at("dropout").get_to(s.dropout);
    j.at("tasks").get_to(s.tasks);
    j.at("main_task").get_to(s.main_task);
    s.init = get_enum(j.at("init"), inits);
    // Files written before the gated architectures have a trunk (hps) and no expert counts.
    s.arch = get_enum(j.value("arch", nlohmann::json("hps")), architectures);
    s.experts = j.value("experts", s.experts);
    s.task_experts = j.value("task_experts", s.task_experts);
    s.levels = j.value("levels", s.levels);
}

void to_json(nlohmann::json& j, const Preprocessor::Feature& f) {
    j = {{"column", f.column}, {"mean", f.mean}, {"scale", f.scale}, {"missing_indicator", f.missing_indicator}, {"levels", f.levels}};
    put_enum(j["type"], f.type, column_types);
}
void from_json(const nlohmann::json& j, Preprocessor::Feature& f) {
    j.at("column").get_to(f.column);
    f.type = get_enum(j.at("type"), column_types);
    j.at("mean").get_to(f.mean);
    j.at("scale").get_to(f.scale);
    j.at("missing_indicator").get_to(f.missing_indicator);
    j.at("levels").get_to(f.levels);
}

void to_json(nlohmann::json& j, const Preprocessor::Target& t) {
    j = {{"column", t.column}, {"positive", t.positive}, {"mean", t.mean}, {"scale", t.scale}, {"levels", t.levels}};
    put_enum(j["kind"], t.kind, target_kinds);
}
void from_json(const nlohmann::json& j, Preprocessor::Target& t) {
    j.at("column").get_to(t.column);
    t.kind = get_enum(j.at("kind"), target_kinds);
    j.at("positive").get_to(t.positive);
    j.at("mean").get_to(t.mean);
    j.at("scale").get_to(t.scale);
    j.at("levels").get_to(t.levels);
}

void to_json(nlohmann::json& j, const Preprocessor& p) { j = {{"features", p.features}, {"targets", p.targets}}; }
void from_json(const nlohmann::json& j, Preprocessor& p) {
    j.at("features").get_to(p.features);
    j.at("targets").get_to(p.targets);
}

}  // namespace hyda::mtl

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
    o.split_counts = j.value("split_rows", std::vector<int>{});  // absent in files from before --split-rows
    j.at("seed").get_to(o.seed);
    j.at("threads").get_to(o.threads);
    j.at("precision").get_to(o.precision);
    o.relatedness = j.value("relatedness", std::vector<std::string>{});  // absent in files from before the oracle
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
    o.on_nan = j.value("on_nan", "stop");  // absent in files from before --on-nan
    // For the record only (predict and eval do not batch); absent in older files.
    o.order_by = j.value("order_by", "");
    o.batch_groups = j.value("batch_groups", "");
    o.batch_mix = j.value("batch_mix", "");
    o.mix_concentration = j.value("mix_concentration", mtl::default_mix_concentration);
    o.arch = j.value("arch", "hps");  // absent in files from before the gated architectures
    o.experts = j.value("experts", 0);
    o.task_experts = j.value("task_experts", 0);
    o.levels = j.value("levels", 0);
}

void to_json(nlohmann::json& j, const Method& m) { j = {{"label", m.label}, {"strategy", m.strategy}, {"options", m.options}, {"oracle", m.oracle}}; }
void from_json(const nlohmann::json& j, Method& m) {
    j.at("label").get_to(m.label);
    j.at("strategy").get_to(m.strategy);
    j.at("options").get_to(m.options);
    m.oracle = j.value("oracle", false);  // absent in files from before the oracle
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

void to_json(nlohmann::json& j, const ModelFile::Parameter& p) { j = {{"name", p.name}, {"rows", p.rows}, {"cols", p.cols}, {"values", p.values}}; }
void from_json(const nlohmann::json& j, ModelFile::Parameter& p) {
    j.at("name").get_to(p.name);
    j.at("rows").get_to(p.rows);
    j.at("cols").get_to(p.cols);
    j.at("values").get_to(p.values);
}

template <class T>
std::vector<ModelFile::Parameter> parameters_of(const mtl::Model<T>& model) {
    std::vector<ModelFile::Parameter> out;
    for (const ad::Parameter<T>* p : model.parameters()) {
        const T* v = p->value().data();
        out.push_back({p->name(), p->rows(), p->cols(), std::vector<double>(v, v + p->size())});
    }
    return out;
}

template <class T>
mtl::Model<T> model_of(const ModelFile& file, const std::string& source) {
    try {
        file.spec.validate();
    } catch (const std::invalid_argument& e) {
        throw mtl::DataError(source, 0, "", std::string("bad model file: model: ") + e.what());
    }
    mtl::Model<T> model(file.spec, 0);
    const auto& params = model.parameters();
    if (params.size() != file.parameters.size())
        throw mtl::DataError(source, 0, "", "bad model file: " + std::to_string(file.parameters.size()) + " parameters, the model has " + std::to_string(params.size()));
    std::vector<std::vector<T>> values;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ModelFile::Parameter& p = file.parameters[i];
        if (p.name != params[i]->name() || p.rows != params[i]->rows() || p.cols != params[i]->cols() || p.values.size() != params[i]->size())
            throw mtl::DataError(source, 0, "", "bad model file: parameter " + std::to_string(i) + " '" + p.name + "' " + ad::shape_string(p.rows, p.cols) + " with " +
                                     std::to_string(p.values.size()) + " values, the model expects '" + params[i]->name() + "' " +
                                     ad::shape_string(params[i]->rows(), params[i]->cols()) + " with " + std::to_string(params[i]->size()));
        values.emplace_back(p.values.begin(), p.values.end());
    }
    model.restore(values);
    return model;
}

template std::vector<ModelFile::Parameter> parameters_of(const mtl::Model<float>&);
template std::vector<ModelFile::Parameter> parameters_of(const mtl::Model<double>&);
template mtl::Model<float> model_of(const ModelFile&, const std::string&);
template mtl::Model<double> model_of(const ModelFile&, const std::string&);

void save_model(const std::string& path, const ModelFile& file) {
    const nlohmann::json j = {{"format", "hyda-model"}, {"version", 1},           {"precision", file.precision}, {"model", file.spec},
                              {"preprocessor", file.preprocessor}, {"parameters", file.parameters}, {"training", file.training}};
    mtl::write_atomically(path, "model", [&](std::ostream& out) { out << j.dump(1) << '\n'; });
}

ModelFile load_model(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw mtl::DataError(path, 0, "", "cannot open the model file");
    ModelFile file;
    try {
        const nlohmann::json j = nlohmann::json::parse(in);
        if (!j.is_object() || j.value("format", "") != "hyda-model") throw std::runtime_error("not a hyda model file (no \"format\": \"hyda-model\")");
        if (j.at("version") != 1) throw std::runtime_error("model file version " + j.at("version").dump() + ", this hyda reads version 1");
        j.at("precision").get_to(file.precision);
        if (file.precision != "float" && file.precision != "double") throw std::runtime_error("precision \"" + file.precision + "\" (expected float or double)");
        j.at("model").get_to(file.spec);
        j.at("preprocessor").get_to(file.preprocessor);
        j.at("parameters").get_to(file.parameters);
        j.at("training").get_to(file.training);
        if (file.spec.tasks.size() != file.preprocessor.targets.size() || file.spec.inputs != file.preprocessor.inputs())
            throw std::runtime_error("the model's tasks and inputs do not match its preprocessor's targets and features");
    } catch (const nlohmann::json::exception& e) {
        // The library's message without its "[json.exception.parse_error.101] " tag.
        const std::string what = e.what();
        const std::size_t tag_end = what.find("] ");
        throw mtl::DataError(path, 0, "", "bad model file: " + (what.starts_with("[json.") && tag_end != std::string::npos ? what.substr(tag_end + 2) : what));
    } catch (const std::exception& e) {
        throw mtl::DataError(path, 0, "", std::string("bad model file: ") + e.what());
    }
    return file;
}

}  // namespace hyda::cli
