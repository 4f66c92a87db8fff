// hyda predict: a saved model's predictions for the rows of a CSV file, in the targets'
// own units.
#include <CLI/CLI.hpp>
#include <charconv>
#include <memory>

#include "hyda/mtl/atomic_file.hpp"
#include "commands.hpp"
#include "data_setup.hpp"
#include "exit_codes.hpp"
#include "hyda/kernels/threads.hpp"
#include "model_file.hpp"

namespace hyda::cli {
namespace {

struct PredictCommand {
    ModelInput input;
    std::string out = "-";
};

void append_number(std::string& line, double v) {
    char text[32];
    line.append(text, std::to_chars(text, text + sizeof text, v).ptr);
}

// "row", then per task: binary "<task>" (the probability of the positive value),
// multiclass "<task>=<level>" per class, regression "<task>".
std::string header(const mtl::ModelFile& file) {
    std::string line = "row";
    for (const auto& t : file.preprocessor.targets) {
        if (t.kind == mtl::TargetKind::multiclass) {
            for (const auto& level : t.levels) line += ',', mtl::append_csv_field(line, t.column + "=" + level);
        } else {
            line += ',', mtl::append_csv_field(line, t.column);
        }
    }
    return line + '\n';
}

void run_predict(const PredictCommand& c, Io& io) {
    hyda::set_num_threads(c.input.threads);
    const mtl::Predictor predictor = mtl::Predictor::load(c.input.model);
    const mtl::ModelFile& file = predictor.file();
    const TrainingRecord training = training_record(file, c.input.model);
    const mtl::Table table = mtl::read_table(c.input.data);
    const std::vector<int> rows = part_rows(table, training, c.input.part);
    const auto outputs = predictor.predict(table, rows);  // in the targets' units
    auto write = [&](std::ostream& out) {
        std::string line = header(file);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            append_number(line, double(rows[i]));
            for (std::size_t k = 0; k < outputs.size(); ++k) {
                const std::size_t width = std::size_t(file.spec.tasks[k].outputs());
                for (std::size_t j = 0; j < width; ++j) line += ',', append_number(line, outputs[k][i * width + j]);
            }
            line += '\n';
            if (line.size() > (1 << 16)) out << line, line.clear();
        }
        out << line;
    };
    if (c.out == "-") {
        write(io.out);
    } else {
        // Whole or not at all, as the model file: an interrupted predict leaves no partial CSV.
        mtl::write_atomically(c.out, "predict", write);
    }
}

}  // namespace

Runner add_predict(CLI::App& app) {
    auto c = std::make_shared<PredictCommand>();
    CLI::App* sub = app.add_subcommand("predict", "write a saved model's predictions for the rows of a CSV file (target columns may be absent)");
    add_model_input_options(*sub, c->input);
    sub->add_option("--out", c->out, "the CSV file to write (- for stdout)");
    return [c](Io& io) { run_predict(*c, io); };
}

}  // namespace hyda::cli
