// hyda inspect: everything about one batch at a saved model's parameters, as one JSON
// object: the encoded inputs, targets and masks, the parameters, the per-task losses and
// gradients of the shared parameters, their Gram matrix, HydaLearn's gains (first-order
// and exact) and the chosen method's weights. Every number reads back as the same double.
#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>

#include "commands.hpp"
#include "data_setup.hpp"
#include "exit_codes.hpp"
#include "hyda/kernels/threads.hpp"
#include "model_file.hpp"
#include "precision.hpp"

namespace hyda::cli {
namespace {

struct InspectCommand {
    ModelInput input;
    std::string rows;
    std::string method = "hydalearn";
    std::vector<std::string> method_options;
};

// "i:j": rows i .. j - 1 of the selected part.
std::pair<int, int> row_range(const std::string& text, std::size_t available) {
    const auto colon = text.find(':');
    std::size_t used_i = 0, used_j = 0;
    long i = -1, j = -1;
    try {
        if (colon != std::string::npos) {
            i = std::stol(text.substr(0, colon), &used_i);
            j = std::stol(text.substr(colon + 1), &used_j);
        }
    } catch (const std::exception&) {
        i = -1;
    }
    if (colon == std::string::npos || used_i != colon || used_j != text.size() - colon - 1 || i < 0 || j <= i || std::size_t(j) > available)
        throw UsageError("--rows " + text + ": expected I:J with 0 <= I < J <= " + std::to_string(available) + " (rows I .. J-1 of the part)");
    return {int(i), int(j)};
}

template <class T>
mtl::Introspection introspect(const mtl::Model<T>& trained, const Method& method, const TrainingRecord& record, const mtl::Dataset<T>& batch,
                              const mtl::Dataset<T>* held_out) {
    mtl::Model<T> model = trained;  // the trainer would own the model's optimizer state: a copy keeps the file's intact
    const auto strategy = make_strategy(method, model.spec());
    mtl::Trainer<T> trainer(model, *strategy, train_options(record.setup, record.data.seed));
    std::vector<int> rows(std::size_t(batch.rows));
    for (int i = 0; i < batch.rows; ++i) rows[std::size_t(i)] = i;
    return trainer.inspect(batch, rows, held_out);
}

template <class T>
nlohmann::ordered_json inspect_json(const InspectCommand& c, const mtl::ModelFile& file, const TrainingRecord& training, const mtl::Table& table,
                                    const std::vector<int>& rows, const Method& method) {
    const mtl::Model<T> model = mtl::model_of<T>(file, c.input.model);
    const mtl::Dataset<T> batch = file.preprocessor.transform<T>(table, rows);
    // Strategies that measure on a held-out batch take it from the validation part, which
    // exists only for the training file itself.
    std::optional<mtl::Dataset<T>> held_out;
    if (table.rows() == training.data_rows) held_out = file.preprocessor.transform<T>(table, part_rows(table, training, "validation"));
    const mtl::Dataset<T>* held = held_out && held_out->rows > 0 ? &*held_out : nullptr;

    const mtl::Introspection chosen = introspect(model, method, training, batch, held);
    const mtl::Introspection first_order = introspect(model, make_method_spec("hydalearn", {"gain=first_order"}, model.tasks()), training, batch, held);
    const mtl::Introspection exact = introspect(model, make_method_spec("hydalearn", {"gain=exact"}, model.tasks()), training, batch, held);

    nlohmann::ordered_json x = nlohmann::ordered_json::array(), tasks = nlohmann::ordered_json::array(), parameters = nlohmann::ordered_json::array();
    for (int i = 0; i < batch.rows; ++i) {
        const T* r = batch.x.data() + std::size_t(i) * std::size_t(batch.features);
        x.push_back(std::vector<double>(r, r + batch.features));
    }
    for (std::size_t k = 0; k < batch.labels.size(); ++k) {
        nlohmann::ordered_json targets = nlohmann::ordered_json::array(), mask = nlohmann::ordered_json::array();
        for (const T y : batch.labels[k]) {
            targets.push_back(std::isnan(y) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(double(y)));
            mask.push_back(std::isnan(y) ? 0 : 1);
        }
        tasks.push_back({{"name", file.spec.tasks[k].name}, {"targets", targets}, {"mask", mask}});
    }
    for (const auto& p : file.parameters)
        parameters.push_back({{"name", p.name}, {"rows", p.rows}, {"cols", p.cols}, {"layout", "row-major"}, {"values", p.values}});
    return {{"model", c.input.model},
            {"data", c.input.data},
            {"part", c.input.part},
            {"precision", precision_name(file.precision)},
            {"rows", rows},
            {"inputs", file.preprocessor.input_names()},
            {"x", x},
            {"tasks", tasks},
            {"main_task", file.spec.main_task},
            {"parameters", parameters},
            {"losses", chosen.losses},
            {"shared_parameters", chosen.shared_parameters},
            {"task_gradients", chosen.task_gradients},
            {"grad_norms", chosen.grad_norms},
            {"gram", chosen.gram},
            {"gains", {{"first_order", first_order.gains}, {"exact", exact.gains}}},
            {"method", {{"label", method.label}, {"strategy", method.strategy}, {"options", method.options}}},
            {"weights", chosen.coefficients},
            {"hydalearn_weights", {{"first_order", first_order.coefficients}, {"exact", exact.coefficients}}},
            {"sample_dots", chosen.sample_dots},
            {"sample_norms", chosen.sample_norms},
            {"sample_weights", chosen.sample_weights}};
}

void run_inspect(const InspectCommand& c, Io& io) {
    hyda::set_num_threads(c.input.threads);
    const mtl::ModelFile file = mtl::load_model(c.input.model);
    const TrainingRecord training = training_record(file, c.input.model);
    const Method method = make_method_spec(c.method, c.method_options, int(file.spec.tasks.size()));
    const mtl::Table table = mtl::read_table(c.input.data);
    const std::vector<int> part = part_rows(table, training, c.input.part);
    const auto [first, last] = row_range(c.rows, part.size());
    const std::vector<int> rows(part.begin() + first, part.begin() + last);
    const nlohmann::ordered_json j =
        with_precision(file.precision, [&](auto tag) { return inspect_json<decltype(tag)>(c, file, training, table, rows, method); });
    io.out << j.dump(1) << '\n';
}

}  // namespace

Runner add_inspect(CLI::App& app) {
    auto c = std::make_shared<InspectCommand>();
    CLI::App* sub = app.add_subcommand("inspect", "one batch at a saved model's parameters as JSON: inputs, losses, per-task gradients, Gram matrix, gains, weights");
    add_model_input_options(*sub, c->input);
    sub->add_option("--rows", c->rows, "the batch: rows I:J (I .. J-1) of the part")->required();
    sub->add_option("--method", c->method, "the method whose weights to show (" + method_names() + ")");
    sub->add_option("--method-opt", c->method_options, "a method option KEY=VALUE (repeatable)");
    return [c](Io& io) { run_inspect(*c, io); };
}

}  // namespace hyda::cli
