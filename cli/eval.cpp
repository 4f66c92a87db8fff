// hyda eval: every metric of every task of a saved model on the rows of a CSV file.
#include <CLI/CLI.hpp>
#include <memory>

#include "commands.hpp"
#include "data_setup.hpp"
#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/data_error.hpp"
#include "model_file.hpp"
#include "precision.hpp"
#include "report.hpp"

namespace hyda::cli {
namespace {

struct EvalCommand {
    ModelInput input;
    bool json = false;
};

void run_eval(const EvalCommand& c, Io& io) {
    hyda::set_num_threads(c.input.threads);
    const mtl::ModelFile file = mtl::load_model(c.input.model);
    const TrainingRecord training = training_record(file, c.input.model);
    const mtl::Table table = mtl::read_table(c.input.data);
    const std::vector<int> rows = part_rows(table, training, c.input.part);
    if (rows.empty()) throw mtl::DataError(table.source, 0, "", "no rows to evaluate in --part " + c.input.part);
    const auto metrics = with_precision(file.precision, [&](auto tag) {
        using T = decltype(tag);
        const mtl::Model<T> model = mtl::model_of<T>(file, c.input.model);
        return mtl::evaluate(model, file.preprocessor.transform<T>(table, rows));
    });
    if (c.json) {
        const nlohmann::ordered_json j = {{"model", c.input.model},
                                  {"data", c.input.data},
                                  {"part", c.input.part},
                                  {"rows", rows.size()},
                                  {"main_task", metrics[std::size_t(file.spec.main_task)].task},
                                  {"main", metrics_json(metrics[std::size_t(file.spec.main_task)])},
                                  {"tasks", metrics_json(metrics)}};
        io.out << j.dump(2) << '\n';
    } else {
        print_metrics(io.out, c.input.part + " (" + std::to_string(rows.size()) + " rows)", metrics);
    }
}

}  // namespace

Runner add_eval(CLI::App& app) {
    auto c = std::make_shared<EvalCommand>();
    CLI::App* sub = app.add_subcommand("eval", "every metric of every task of a saved model on the rows of a CSV file");
    add_model_input_options(*sub, c->input);
    sub->add_flag("--json", c->json, "print JSON (numbers that read back exactly) instead of text");
    return [c](Io& io) { run_eval(*c, io); };
}

}  // namespace hyda::cli
