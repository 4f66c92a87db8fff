// hyda train: one model on a CSV file, saved with its preprocessing.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "checkpoint_file.hpp"
#include "commands.hpp"
#include "data_setup.hpp"
#include "exit_codes.hpp"
#include "model_file.hpp"
#include "precision.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "training_run.hpp"

namespace hyda::cli {
namespace {

struct TrainCommand {
    DataOptions data;
    TrainingSetup setup;
    std::string method = "hydalearn";
    std::vector<std::string> method_options;
    std::string out, report_json, trace;
    bool quiet = false;
    CheckpointOptions checkpoint;
};

std::ofstream open_output(const std::string& path, const char* option) {
    std::ofstream f(path, std::ios::binary);
    if (!f) throw UsageError(std::string(option) + ": cannot write " + path);
    return f;
}

// What a benchmark script or a notebook reads: run times, and the test and validation
// metrics (the main task's flat under "test"/"validation", every task's under "tasks").
nlohmann::ordered_json report_json(const RunReport& r, const mtl::ModelSpec& spec) {
    const std::size_t main = std::size_t(spec.main_task);
    nlohmann::ordered_json tasks = nlohmann::ordered_json::object(), names = nlohmann::ordered_json::array();
    for (std::size_t k = 0; k < spec.tasks.size(); ++k) {
        names.push_back(spec.tasks[k].name);
        nlohmann::ordered_json& t = tasks[spec.tasks[k].name];
        t["kind"] = spec.tasks[k].kind == mtl::TaskKind::binary ? "binary" : spec.tasks[k].kind == mtl::TaskKind::regression ? "regression" : "multiclass";
        if (!r.test.empty()) t["test"] = metrics_json(r.test[k]);
        if (!r.validation.empty()) t["validation"] = metrics_json(r.validation[k]);
    }
    nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
    for (const auto& e : r.result.epochs)
        epochs.push_back({{"epoch", e.epoch},
                          {"seconds", e.seconds},
                          {"train_loss", e.train_loss},
                          {"mean_coefficients", e.mean_coefficients},
                          {"validation_metric", e.validation_metric ? nlohmann::ordered_json(*e.validation_metric) : nlohmann::ordered_json(nullptr)},
                          {"best", e.best},
                          {"skipped_steps", e.skipped_steps}});
    return {{"epochs", r.epochs()},
            {"best_epoch", r.result.best_epoch},
            {"train_seconds", r.seconds},
            {"seconds_per_epoch", r.seconds_per_epoch()},
            {"main_task", spec.tasks[main].name},
            {"task_names", names},
            {"test", r.test.empty() ? nlohmann::ordered_json(nullptr) : metrics_json(r.test[main])},
            {"validation", r.validation.empty() ? nlohmann::ordered_json(nullptr) : metrics_json(r.validation[main])},
            {"tasks", tasks},
            {"epoch_log", epochs}};
}

void run_train(const TrainCommand& c, Io& io) {
    apply(c.data);
    check(c.setup);
    const Method method = make_method_spec(c.method, c.method_options, task_count(c.data));
    check_method(method, c.data, c.setup);
    const mtl::DataSpec spec = data_spec(c.data);
    std::ofstream trace, report;  // opened before the work, so that a bad path fails early
    if (!c.trace.empty()) trace = open_output(c.trace, "--trace");
    if (!c.report_json.empty()) report = open_output(c.report_json, "--report-json");
    for (const auto& [option, path] : {std::pair{"--out", c.out}, {"--checkpoint", c.checkpoint.file}}) {
        const std::filesystem::path folder = std::filesystem::path(path).parent_path();
        if (!folder.empty() && !std::filesystem::is_directory(folder)) throw UsageError(std::string(option) + ": no folder " + folder.string() + " to save " + path + " in");
    }
    if (c.checkpoint.file == c.out) throw UsageError("--checkpoint: the checkpoints need a file of their own, not the --out model file");
    // Read first, so that a missing or foreign checkpoint fails before any work.
    std::optional<Checkpointing> checkpointing;
    if (!c.checkpoint.file.empty()) {
        Checkpointing& cp = checkpointing.emplace();
        cp.every = c.checkpoint.every;
        cp.identity = checkpoint_identity(c.data, c.setup, method);
        cp.save = CheckpointSaver(c.checkpoint.file);
        if (c.checkpoint.resume) {
            cp.resume_bytes = read_checkpoint(c.checkpoint.file);
            cp.resume_source = c.checkpoint.file;
            if (!c.quiet)
                cp.on_resume = [&](const mtl::CheckpointPosition& at) {
                    io.err << "resumed from " << c.checkpoint.file << " at step " << at.step << " (epoch " << at.epoch + 1 << "/" << c.setup.epochs << ", "
                           << at.batch << " batches into it)" << std::endl;
                };
        }
    }

    const mtl::Table table = mtl::read_table(c.data.data);
    const Parts parts = split_rows(table, c.data, c.data.seed);
    const mtl::Preprocessor preprocessor = mtl::Preprocessor::fit(table, spec, parts[0]);
    const mtl::ModelSpec model_shape = model_spec(c.setup, preprocessor);
    mtl::ModelFile file;
    const RunReport r = with_precision(c.data.precision, [&](auto tag) {
        using T = decltype(tag);
        const Encoded<T> data = encode<T>(preprocessor, table, parts, c.data, c.setup);
        mtl::Model<T> model(model_shape, c.data.seed);
        std::vector<std::string> names;
        for (const auto& t : model_shape.tasks) names.push_back(t.name);
        RunSetup run{c.setup, method, c.data.seed, c.trace.empty() ? nullptr : &trace, {}, checkpointing ? &*checkpointing : nullptr};
        if (!c.quiet) run.on_epoch = EpochProgress(io.err, names, mtl::main_metric_name(model_shape.tasks[0].kind), c.setup.epochs);
        RunReport result = train_and_evaluate(model, data, run);
        file = mtl::model_file_of(model, preprocessor, "");
        return result;
    });

    if (!c.quiet)
        io.err << "trained " << r.epochs() << " epochs in " << duration_text(r.seconds) << " (" << fixed(r.seconds_per_epoch(), 3)
               << " s/epoch), "
               << (r.result.best_epoch >= 0 ? "best epoch " + std::to_string(r.result.best_epoch + 1) : std::string("no validation part: the last epoch is kept"))
               << '\n';
    if (r.test.empty()) io.err << "train: no test rows (--split leaves none): no test metrics\n";
    print_metrics(io.out, "test", r.test);
    file.metadata = training_metadata({c.data, table.rows(), std::filesystem::file_size(c.data.data), c.setup, method, nlohmann::json(metrics_json(r.test))});
    mtl::save_model(c.out, file);
    if (report.is_open()) report << report_json(r, file.spec).dump(2) << '\n';
}

}  // namespace

Runner add_train(CLI::App& app) {
    auto c = std::make_shared<TrainCommand>();
    CLI::App* sub = app.add_subcommand("train", "train a model on a CSV file and save it with its preprocessing");
    add_data_options(*sub, c->data);
    add_training_options(*sub, c->setup);
    sub->add_option("--method", c->method,
                    "task weighting: stl (main task only), ew (equal weights), oracle (equal weights, each task's rows weighted by max(0, its "
                    "--relatedness)), or a strategy (" + method_names() + ")");
    sub->add_option("--method-opt", c->method_options, "a method option KEY=VALUE, e.g. gain=exact (repeatable)");
    sub->add_option("--out", c->out, "the model file to write (hyda's binary model format, docs/model-format.md)")->required();
    sub->add_option("--report-json", c->report_json, "also write the run's times and metrics as JSON here");
    sub->add_option("--trace", c->trace, "write one CSV row per training step (losses, weights, gains) here");
    sub->add_flag("--quiet", c->quiet, "no progress on stderr");
    CLI::Option* checkpoint =
        sub->add_option("--checkpoint", c->checkpoint.file,
                        "save a training checkpoint here at each epoch's end (written whole or not at all; docs/checkpoints.md)");
    sub->add_option("--checkpoint-every", c->checkpoint.every, "also save a checkpoint every N training steps (0: at each epoch's end only)")
        ->check(at_least(0))
        ->needs(checkpoint);
    sub->add_flag("--resume", c->checkpoint.resume,
                  "continue the run saved in the --checkpoint file, which must come from the same command (data file contents, options, seed); "
                  "the model it ends with is the one an uninterrupted run writes")
        ->needs(checkpoint);
    return [c](Io& io) { run_train(*c, io); };
}

}  // namespace hyda::cli
