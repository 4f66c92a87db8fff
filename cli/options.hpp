#pragma once
// The options that several commands share, as plain structs: their registration on a
// CLI11 command (each with its default shown in --help) and their translation into the
// library's types. Values CLI11 cannot check alone (a method the library does not know,
// split fractions) are checked here and throw UsageError.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hyda/mtl/model.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/strategy.hpp"
#include "hyda/mtl/trainer.hpp"

namespace CLI {
class App;
class Validator;
}

namespace hyda::cli {

// The data file, its tasks, the split, and how the run computes.
struct DataOptions {
    std::string data;
    std::string main;
    std::vector<std::string> aux, drop, types;
    // TASK=COLUMN: auxiliary task TASK's true relatedness to the main task, per row (the
    // oracle method's row weights; not a feature).
    std::vector<std::string> relatedness;
    int max_levels = mtl::DataSpec{}.max_levels;  // of a categorical feature
    std::vector<double> split = {0.6, 0.2};  // train, validation; test = the rest
    std::vector<int> split_counts;           // --split-rows: exact train, validation rows instead (empty: not given)
    std::uint64_t seed = 1;  // split, initial weights, batch order, dropout
    int threads = 1;
    std::string precision = "float";
};

// The model's shape and how it is trained (the protocol by default).
struct TrainingSetup {
    std::vector<int> trunk = {64, 64};
    std::string activation = "relu";
    double dropout = 0;
    std::string arch = "hps";  // hps, mmoe, cgc, ple
    // 0: not given, the library's default (ModelSpec); each is read by some architectures only.
    int experts = 0, task_experts = 0, levels = 0;
    int batch = 256;
    double lr = 1e-3;
    std::string optimizer = "adam";
    double weight_decay = 0;
    int epochs = 40;
    int patience = 5;
    std::string on_nan = "stop";  // stop or skip: a non-finite loss or gradient (mtl::NanPolicy)
    // The batch composition (at most one of the three; none: shuffled batches). Columns of
    // the data file, read whether or not they are also features.
    std::string order_by;      // each epoch visits the rows in increasing value of this column
    std::string batch_groups;  // each batch from one group (a value of this column) alone
    std::string batch_mix;     // each batch's share of every group ~ Dirichlet(mix_concentration)
    double mix_concentration = mtl::default_mix_concentration;
};

// A weighting method: the name the user gave (a label in tables), the library's strategy
// name, and its key=value options. The oracle is equal weights whose training rows carry
// row weights max(0, relatedness) from --relatedness.
struct Method {
    std::string label;
    std::string strategy;
    std::vector<std::string> options;
    bool oracle = false;
};

// One --relatedness TASK=COLUMN: task `task` (an index into the data's targets, >= 1).
struct RelatednessColumn {
    int task = 0;
    std::string column;
};

// What the commands that use a saved model read: the model, a CSV file, which of its rows.
struct ModelInput {
    std::string model, data;
    std::string part = "all";
    int threads = 1;
};

void add_data_options(CLI::App& app, DataOptions& o);
void add_model_input_options(CLI::App& app, ModelInput& o);
void add_training_options(CLI::App& app, TrainingSetup& o);
// --threads alone, for commands that read a model (the model file fixes the precision).
void add_threads_option(CLI::App& app, int& threads);
// A check that an option's number is at least `low`, with a message that says so (CLI11's
// own range checks print the whole range of the type, 300 digits for a double).
CLI::Validator at_least(double low);

// "stl, ew, oracle, hydalearn, equal, ...": every name strategy_name() accepts.
std::string method_names();
// The library's strategy name for a method name: the short names stl (main task only,
// "single"), ew and oracle (equal weights, "equal") or any of mtl::strategy_names().
std::string strategy_name(const std::string& method);
// A method as `name[:key=value[:key=value...]]` (compare's --methods), or a name and
// separate options (train's --method and --method-opt). Checked by building it for
// `tasks` tasks; throws UsageError naming the method.
Method parse_method(const std::string& text, int tasks);
Method make_method_spec(const std::string& name, std::vector<std::string> options, int tasks);
std::unique_ptr<mtl::Strategy> make_strategy(const Method& m, const mtl::ModelSpec& spec);

// Checks the data options (split fractions or row counts, threads) and sets the kernels' thread count.
void apply(const DataOptions& o);
// The targets and dropped columns; the --relatedness columns are dropped (not features).
mtl::DataSpec data_spec(const DataOptions& o);
// The --relatedness options, checked: TASK=COLUMN with TASK an auxiliary target given once
// and COLUMN not a target; else UsageError.
std::vector<RelatednessColumn> relatedness_columns(const DataOptions& o);
int task_count(const DataOptions& o);
mtl::ModelSpec model_spec(const TrainingSetup& o, const mtl::Preprocessor& pre);
mtl::TrainOptions train_options(const TrainingSetup& o, std::uint64_t seed);  // batching from order_by / batch_groups / batch_mix
void check(const TrainingSetup& o);  // everything train_options() and model_spec() would reject
// A method that cannot train the setup's architecture (SLGrad outside hps), or the oracle
// without --relatedness, is a usage error.
void check_method(const Method& m, const DataOptions& data, const TrainingSetup& o);

}  // namespace hyda::cli
