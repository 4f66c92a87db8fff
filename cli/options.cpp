#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "exit_codes.hpp"
#include "hyda/kernels/threads.hpp"

namespace hyda::cli {

CLI::Validator at_least(double low) {
    std::string bound = std::to_string(low);
    bound.erase(bound.find_last_not_of('0') + 1);
    if (bound.back() == '.') bound.pop_back();
    return CLI::Validator(
        [low, bound](std::string& text) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
            return v >= low ? std::string() : "must be at least " + bound + ", got " + text;
        },
        ">=" + bound);
}

void add_data_options(CLI::App& app, DataOptions& o) {
    app.add_option("--data", o.data, "the CSV file (header row required)")->required();
    app.add_option("--main", o.main, "the main task: COLUMN=VALUE (binary, VALUE is positive) or COLUMN[:KIND]")->required();
    app.add_option("--aux", o.aux, "an auxiliary task, COLUMN[:regression|logregression|multiclass|binary] or COLUMN=VALUE (repeatable, or comma list)")
        ->delimiter(',');
    app.add_option("--drop", o.drop, "columns that are neither features nor targets (repeatable, or comma list)")->delimiter(',');
    app.add_option("--relatedness", o.relatedness,
                   "TASK=COLUMN: the auxiliary task TASK's true relatedness to the main task per row, which the oracle method weights TASK's rows by "
                   "(max(0, value)); not a feature (repeatable, or comma list)")
        ->delimiter(',');
    app.add_option("--type", o.types, "override an inferred column type: COLUMN=numeric|categorical (repeatable)")->delimiter(',');
    app.add_option("--max-levels", o.max_levels, "at most this many distinct values in a categorical feature column (one input each; more fails naming the column)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    CLI::Option* split = app.add_option("--split", o.split, "train,validation fractions (the test gets the rest)")->delimiter(',')->expected(2);
    app.add_option("--split-rows", o.split_counts, "train,validation row counts instead of --split (the test gets the rest, at least 1 row)")
        ->delimiter(',')
        ->expected(2)
        ->excludes(split);
    app.add_option("--seed", o.seed, "one seed for the split, initial weights, batch order and dropout")->check(at_least(0));
    add_threads_option(app, o.threads);
    app.add_option("--precision", o.precision, "float or double")->check(CLI::IsMember({"float", "double"}));
}

void add_model_input_options(CLI::App& app, ModelInput& o) {
    app.add_option("--model", o.model, "a model file written by hyda train")->required();
    app.add_option("--data", o.data, "a CSV file with the model's feature columns")->required();
    app.add_option("--part", o.part, "all rows, or the train, validation or test part of the model's own training file (re-derived from its seed)")
        ->check(CLI::IsMember({"all", "train", "validation", "test"}));
    add_threads_option(app, o.threads);
}

void add_threads_option(CLI::App& app, int& threads) {
    app.add_option("--threads", threads, "kernel threads")->check(at_least(1));
}

void add_training_options(CLI::App& app, TrainingSetup& o) {
    app.add_option("--trunk", o.trunk, "hidden sizes of the shared trunk, or of each expert")->delimiter(',');
    app.add_option("--activation", o.activation, "trunk activation")->check(CLI::IsMember({"relu", "leaky_relu", "gelu", "tanh"}));
    app.add_option("--dropout", o.dropout, "dropout after each trunk (or expert) activation")->check(CLI::Range(0.0, 0.99));
    app.add_option("--arch", o.arch, "hps (a shared trunk), mmoe, cgc or ple (gated experts; docs/architectures.md)")
        ->check(CLI::IsMember({"hps", "mmoe", "cgc", "ple"}));
    app.add_option("--experts", o.experts, "shared experts, per level (mmoe, cgc, ple; default 4)")->check(at_least(1));
    app.add_option("--task-experts", o.task_experts, "experts of each task, per level (cgc, ple; default 1)")->check(at_least(1));
    app.add_option("--levels", o.levels, "extraction levels (ple; default 2)")->check(at_least(1));
    app.add_option("--batch", o.batch, "mini-batch size")->check(at_least(1));
    app.add_option("--lr", o.lr, "learning rate")->check(at_least(0));
    app.add_option("--optimizer", o.optimizer, "adam, sgd or adamw")->check(CLI::IsMember({"adam", "sgd", "adamw"}));
    app.add_option("--weight-decay", o.weight_decay, "weight decay")->check(at_least(0));
    app.add_option("--epochs", o.epochs, "at most this many epochs")->check(at_least(1));
    app.add_option("--patience", o.patience, "stop after this many epochs without a better validation metric (0 = never)")
        ->check(at_least(0));
    app.add_option("--on-nan", o.on_nan, "a non-finite loss or gradient: stop (fail, naming task and step; no model is written) or skip the batch")
        ->check(CLI::IsMember({"stop", "skip"}));
    app.add_option("--order-by", o.order_by, "visit the rows in increasing value of this column each epoch (a curriculum, e.g. phase)");
    app.add_option("--batch-groups", o.batch_groups, "draw each batch from one group of this column alone (integers or text)");
    CLI::Option* mix = app.add_option("--batch-mix", o.batch_mix,
                                      "draw each batch's share of every group of this column from a Dirichlet(A, ..., A) (integers or text)");
    app.add_option("--mix-concentration", o.mix_concentration, "A of --batch-mix (> 0): below 1 most batches are mostly one group")
        ->needs(mix);
}

std::string method_names() {
    std::string known = "stl, ew, oracle";
    for (const auto& n : mtl::strategy_names()) known += ", " + n;
    return known;
}

std::string strategy_name(const std::string& method) {
    if (method == "stl") return "single";
    if (method == "ew" || method == "oracle") return "equal";
    const std::vector<std::string> names = mtl::strategy_names();
    if (std::find(names.begin(), names.end(), method) != names.end()) return method;
    throw UsageError("unknown method '" + method + "' (known: " + method_names() + ")");
}

Method make_method_spec(const std::string& name, std::vector<std::string> options, int tasks) {
    Method m{name, strategy_name(name), std::move(options), name == "oracle"};
    try {
        mtl::make_strategy(m.strategy, tasks, 0, m.options);
    } catch (const std::invalid_argument& e) {
        throw UsageError("method '" + name + "': " + e.what());
    }
    return m;
}

Method parse_method(const std::string& text, int tasks) {
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
        const std::size_t end = std::min(text.find(':', start), text.size());
        parts.push_back(text.substr(start, end - start));
        if (end == text.size()) break;
        start = end + 1;
    }
    Method m = make_method_spec(parts[0], {parts.begin() + 1, parts.end()}, tasks);
    m.label = text;
    return m;
}

std::unique_ptr<mtl::Strategy> make_strategy(const Method& m, const mtl::ModelSpec& spec) {
    return mtl::make_strategy(m.strategy, int(spec.tasks.size()), spec.main_task, m.options);
}

void apply(const DataOptions& o) {
    if (o.split.size() != 2 || !(o.split[0] > 0) || !(o.split[1] >= 0) || !(o.split[0] + o.split[1] <= 1))
        throw UsageError("--split: need TRAIN,VALIDATION with TRAIN > 0, VALIDATION >= 0 and TRAIN + VALIDATION <= 1");
    if (!o.split_counts.empty() && (o.split_counts.size() != 2 || o.split_counts[0] < 1 || o.split_counts[1] < 0))
        throw UsageError("--split-rows: need TRAIN,VALIDATION row counts with TRAIN >= 1 and VALIDATION >= 0");
    hyda::set_num_threads(o.threads);
}

namespace {

std::vector<RelatednessColumn> parse_relatedness(const std::vector<std::string>& options, const std::vector<mtl::TargetSpec>& targets) {
    auto target = [&](const std::string& column) {
        return std::find_if(targets.begin(), targets.end(), [&](const mtl::TargetSpec& t) { return t.column == column; }) - targets.begin();
    };
    std::vector<RelatednessColumn> out;
    for (const std::string& text : options) {
        const auto eq = text.find('=');
        auto fail = [&](const std::string& why) { throw UsageError("--relatedness " + text + ": " + why); };
        if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) fail("expected TASK=COLUMN");
        const std::string task = text.substr(0, eq), column = text.substr(eq + 1);
        const auto k = target(task);
        if (k == 0) fail("the main task's rows keep weight 1; give an auxiliary task");
        if (k == std::ptrdiff_t(targets.size())) fail("no auxiliary task '" + task + "' (--aux names the tasks by their column)");
        if (target(column) != std::ptrdiff_t(targets.size())) fail("column '" + column + "' is a target");
        for (const RelatednessColumn& r : out)
            if (r.task == int(k)) fail("task '" + task + "' is given twice");
        out.push_back({int(k), column});
    }
    return out;
}

}  // namespace

mtl::DataSpec data_spec(const DataOptions& o) {
    mtl::DataSpec spec;
    try {
        spec.targets.push_back(mtl::parse_target(o.main));
        for (const auto& a : o.aux) spec.targets.push_back(mtl::parse_target(a));
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--main/--aux: ") + e.what());
    }
    spec.drop = o.drop;
    spec.max_levels = o.max_levels;
    for (const auto& t : o.types) {
        const auto eq = t.find('=');
        const std::string type = eq == std::string::npos ? "" : t.substr(eq + 1);
        if (eq == 0 || (type != "numeric" && type != "categorical"))
            throw UsageError("--type " + t + ": expected COLUMN=numeric or COLUMN=categorical");
        spec.types.emplace_back(t.substr(0, eq), type == "numeric" ? mtl::ColumnType::numeric : mtl::ColumnType::categorical);
    }
    for (const RelatednessColumn& r : parse_relatedness(o.relatedness, spec.targets))
        if (std::find(spec.drop.begin(), spec.drop.end(), r.column) == spec.drop.end()) spec.drop.push_back(r.column);
    return spec;
}

std::vector<RelatednessColumn> relatedness_columns(const DataOptions& o) { return parse_relatedness(o.relatedness, data_spec(o).targets); }

int task_count(const DataOptions& o) { return 1 + int(o.aux.size()); }

mtl::ModelSpec model_spec(const TrainingSetup& o, const mtl::Preprocessor& pre) {
    mtl::ModelSpec spec;
    spec.inputs = pre.inputs();
    spec.trunk = o.trunk;
    spec.activation = o.activation == "leaky_relu" ? mtl::Activation::leaky_relu
                      : o.activation == "gelu"     ? mtl::Activation::gelu
                      : o.activation == "tanh"     ? mtl::Activation::tanh
                                                   : mtl::Activation::relu;
    spec.dropout = o.dropout;
    spec.arch = o.arch == "mmoe" ? mtl::Architecture::mmoe
                : o.arch == "cgc" ? mtl::Architecture::cgc
                : o.arch == "ple" ? mtl::Architecture::ple
                                  : mtl::Architecture::hps;
    if (o.experts > 0) spec.experts = o.experts;
    if (o.task_experts > 0) spec.task_experts = o.task_experts;
    if (o.levels > 0) spec.levels = o.levels;
    spec.tasks = pre.tasks();
    spec.main_task = 0;
    try {
        spec.validate();
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("model: ") + e.what());
    }
    return spec;
}

mtl::TrainOptions train_options(const TrainingSetup& o, std::uint64_t seed) {
    mtl::TrainOptions t;
    t.epochs = o.epochs;
    t.batch_size = o.batch;
    t.seed = seed;
    t.optimizer = o.optimizer == "sgd" ? mtl::OptimizerKind::sgd : o.optimizer == "adamw" ? mtl::OptimizerKind::adamw : mtl::OptimizerKind::adam;
    t.lr = o.lr;
    t.weight_decay = o.weight_decay;
    t.patience = o.patience;
    t.restore_best = true;
    t.on_nan = o.on_nan == "skip" ? mtl::NanPolicy::skip : mtl::NanPolicy::stop;
    if (int(!o.order_by.empty()) + int(!o.batch_groups.empty()) + int(!o.batch_mix.empty()) > 1)
        throw UsageError("--order-by, --batch-groups and --batch-mix: give at most one");
    t.batching = !o.order_by.empty()        ? mtl::Batching::ordered
                 : !o.batch_groups.empty() ? mtl::Batching::grouped
                 : !o.batch_mix.empty()    ? mtl::Batching::mixed
                                           : mtl::Batching::shuffle;
    if (!(std::isfinite(o.mix_concentration) && o.mix_concentration > 0))
        throw UsageError("--mix-concentration: must be > 0, got " + std::to_string(o.mix_concentration));
    t.mix_concentration = o.mix_concentration;
    try {
        t.validate();
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    return t;
}

void check(const TrainingSetup& o) {
    train_options(o, 1);
    if (o.trunk.empty() || std::any_of(o.trunk.begin(), o.trunk.end(), [](int w) { return w < 1; }))
        throw UsageError("--trunk: need one or more positive layer sizes");
    // An option the architecture would not read is a mistake, not something to ignore.
    const bool gated = o.arch != "hps", two_kinds = o.arch == "cgc" || o.arch == "ple";
    if (o.experts > 0 && !gated) throw UsageError("--experts: only with --arch mmoe, cgc or ple");
    if (o.task_experts > 0 && !two_kinds) throw UsageError("--task-experts: only with --arch cgc or ple");
    if (o.levels > 0 && o.arch != "ple") throw UsageError("--levels: only with --arch ple");
}

void check_method(const Method& m, const DataOptions& data, const TrainingSetup& o) {
    if (o.arch != "hps" && mtl::make_strategy(m.strategy, task_count(data), 0, m.options)->needs().sample_weights)
        throw UsageError("method '" + m.label + "' needs --arch hps (it weights samples through the shared trunk's layers)");
    if (m.oracle && data.relatedness.empty())
        throw UsageError("method '" + m.label + "' needs --relatedness TASK=COLUMN (each row's true relatedness of an auxiliary task, its row weights)");
}

}  // namespace hyda::cli
