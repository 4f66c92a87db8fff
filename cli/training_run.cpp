#include "training_run.hpp"

#include <chrono>
#include <optional>

namespace hyda::cli {

template <class T>
RunReport train_and_evaluate(mtl::Model<T>& model, const Encoded<T>& data, const RunSetup& run) {
    mtl::TrainOptions options = train_options(run.setup, run.seed);
    options.trace = run.trace;
    options.on_epoch = run.on_epoch;
    const Checkpointing* checkpointing = run.checkpointing;
    if (checkpointing) {
        options.checkpoint_every = checkpointing->every;
        options.checkpoint_epochs = true;
        options.on_checkpoint = checkpointing->save;
        options.checkpoint_identity = checkpointing->identity;
    }
    const auto strategy = make_strategy(run.method, model.spec());
    mtl::Trainer<T> trainer(model, *strategy, options);
    if (checkpointing && checkpointing->resume_bytes) {
        const mtl::CheckpointPosition at = trainer.resume(*checkpointing->resume_bytes, checkpointing->resume_source);
        if (checkpointing->on_resume) checkpointing->on_resume(at);
    }
    // The oracle trains on the same rows with their relatedness as row weights.
    std::optional<mtl::Dataset<T>> weighted;
    if (run.method.oracle) {
        weighted = data.train;
        weighted->weights = data.oracle_weights;
    }
    RunReport report;
    const auto start = std::chrono::steady_clock::now();
    report.result = trainer.fit(weighted ? *weighted : data.train, data.validation.rows > 0 ? &data.validation : nullptr);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (data.validation.rows > 0) report.validation = mtl::evaluate(model, data.validation);
    if (data.test.rows > 0) report.test = mtl::evaluate(model, data.test);
    return report;
}

template RunReport train_and_evaluate(mtl::Model<float>&, const Encoded<float>&, const RunSetup&);
template RunReport train_and_evaluate(mtl::Model<double>&, const Encoded<double>&, const RunSetup&);

}  // namespace hyda::cli
