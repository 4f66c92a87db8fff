// Multi-task learning with auxiliary tasks on a synthetic problem.
//
// The main task (binary) has labels for only a fifth of the rows. An auxiliary task
// built from the same latent function ("related") is labelled everywhere, and another
// ("noise") is a coin flip. The same model is trained from the same seed three ways:
// main task only, all tasks with equal weights, and HydaLearn, which re-weights the
// tasks on every mini-batch by the gain each one's gradient brings to the main task.
//
// Usage: mtl_synthetic [--introspect FILE.json]
//   --introspect writes, for one batch of the trained HydaLearn model, the losses, the
//   Gram matrix of the task gradients, the gains, the weights and the per-task gradients.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;

namespace {

struct Outcome {
    std::optional<double> main_metric, pr_auc;  // on the test rows
    std::vector<EpochReport> epochs;
};

Outcome train(const std::string& strategy_name, const Dataset<float>::Split& data, Introspection* introspection) {
    ModelSpec spec;
    spec.inputs = data.first.features;
    spec.trunk = {64, 64};
    spec.tasks = synthetic_tasks();
    Model<float> model(spec, 7);
    auto strategy = make_strategy(strategy_name, model.tasks(), spec.main_task);
    TrainOptions options;
    options.epochs = 40;
    options.batch_size = 64;
    options.lr = 1e-3;
    options.patience = 10;
    options.seed = 11;
    Trainer<float> trainer(model, *strategy, options);
    const TrainResult result = trainer.fit(data.first, &data.second);
    if (introspection != nullptr) {
        std::vector<int> rows(64);
        std::iota(rows.begin(), rows.end(), 0);
        *introspection = trainer.inspect(data.first, rows, &data.second);
    }
    const auto metrics = evaluate(model, data.rest);
    const TaskMetrics& main_task = metrics[std::size_t(spec.main_task)];
    return {main_task.value(main_metric_name(spec.tasks[std::size_t(spec.main_task)].kind)), main_task.value("pr_auc"), result.epochs};
}

// A table cell: the metric, or "undefined" where the test labels do not define it.
std::string cell(std::optional<double> metric) {
    if (!metric) return "undefined";
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", *metric);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    const char* introspect_path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--introspect") == 0 && i + 1 < argc) {
            introspect_path = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--introspect FILE.json]\n", argv[0]);
            return 2;
        }
    }
    SyntheticSpec synth;
    synth.rows = 6000;
    const Dataset<float> all = make_synthetic<float>(synth);
    const auto data = all.split(0.6, 0.2, 3);  // train, validation, test
    std::printf("synthetic data: %d train / %d validation / %d test rows, %d features;\n"
                "main-task labels on %.0f%% of the rows, 'related' and 'noise' labelled everywhere\n\n",
                data.first.rows, data.second.rows, data.rest.rows, all.features, synth.main_labelled * 100);

    Introspection introspection;
    std::printf("%-10s %10s %10s %8s\n", "strategy", "test AUC", "test PR-AUC", "epochs");
    Outcome hyda;
    for (const char* name : {"single", "equal", "hydalearn"}) {
        const bool is_hyda = std::strcmp(name, "hydalearn") == 0;
        const Outcome o = train(name, data, is_hyda ? &introspection : nullptr);
        std::printf("%-10s %10s %10s %8zu\n", name, cell(o.main_metric).c_str(), cell(o.pr_auc).c_str(), o.epochs.size());
        if (is_hyda) hyda = o;
    }

    std::printf("\nHydaLearn's mean task weights per epoch (they sum to 3):\n%6s %8s %8s %8s\n", "epoch", "main", "related", "noise");
    for (const EpochReport& e : hyda.epochs) {
        if (e.epoch % 4 == 0 || e.epoch + 1 == int(hyda.epochs.size()))
            std::printf("%6d %8.3f %8.3f %8.3f\n", e.epoch, e.mean_coefficients[0], e.mean_coefficients[1], e.mean_coefficients[2]);
    }
    if (introspect_path != nullptr) {
        std::ofstream out(introspect_path);
        if (!out) throw std::runtime_error(std::string("cannot write ") + introspect_path);
        introspection.write_json(out);
        std::printf("\none batch's statistics written to %s\n", introspect_path);
    }
    return 0;
}
