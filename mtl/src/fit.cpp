// Trainer<T>::fit: the epoch loop, the learning-rate schedule, early stopping, the best
// epoch's restore, and when to save a checkpoint (checkpoint.cpp saves it). Its way
// through the run lives in State::progress, so that a resumed fit() continues it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>

#include "hyda/mtl/data_error.hpp"
#include "main_metric.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

template <class T>
TrainResult Trainer<T>::fit(const Dataset<T>& train, const Dataset<T>* validation) {
    State& s = *s_;
    train.validate(s.model.spec(), "training data");
    if (train.rows == 0) throw std::invalid_argument("training data has no rows");
    require_batching_metadata(train, s.opt.batching, "fit: training data");
    if (validation) {
        validation->validate(s.model.spec(), "validation data");
        // Early stopping and restore_best compare the main metric between epochs: it must
        // be a number, which the labels alone decide.
        if (auto why = detail::main_metric_undefined(s.model.spec(), *validation, s.main)) {
            const TaskSpec& task = s.model.spec().tasks[std::size_t(s.main)];
            throw std::invalid_argument("fit: validation data: main task '" + task.name + "': " + main_metric_name(task.kind) + ": " +
                                        *why + " (early stopping and restore_best follow this metric)");
        }
    }
    s.begin_fit(train, validation);
    typename State::Progress& p = s.progress;
    const double lr0 = s.opt.lr;
    const int every = s.opt.checkpoint_every;
    while (s.epoch < s.opt.epochs) {
        const int epoch = s.epoch;
        const auto t0 = std::chrono::steady_clock::now();
        auto seconds = [&] { return p.seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
        double lr = lr0;
        if (s.opt.schedule == Schedule::cosine) lr = lr0 * 0.5 * (1 + std::cos(M_PI * epoch / std::max(1, s.opt.epochs)));
        if (s.opt.schedule == Schedule::step) lr = lr0 * std::pow(s.opt.step_gamma, epoch / std::max(1, s.opt.step_every));
        s.optimizer->set_lr(T(lr));

        const std::vector<std::vector<int>> batches = epoch_batches(train, s.opt.batching, s.opt.batch_size, s.opt.seed, epoch, s.opt.mix_concentration);
        if (std::size_t(p.batch) > batches.size())  // the data matched the checkpoint's: only a forged one gets here
            throw DataError(s.resumed_from, 0, "", "the checkpoint is at batch " + std::to_string(p.batch) + " of epoch " + std::to_string(epoch) + ", which has " +
                                                       std::to_string(batches.size()));
        EpochReport& report = p.report;
        // A batch's loss of task k is a mean over its rows labelled for k: weighted by
        // their count, the epoch's loss is the mean over every labelled row, and a batch
        // without a label for k (loss 0, no measurement) does not pull it down.
        bool checkpoint_due = false;
        while (std::size_t(p.batch) < batches.size()) {
            const std::vector<int>& rows = batches[std::size_t(p.batch)];
            const std::int64_t skipped = s.skipped;
            step(train, rows, validation);
            ++p.batch;
            if (s.skipped == skipped) {  // else its losses are not finite, its coefficients not computed
                for (int k = 0; k < s.K; ++k) {
                    const auto& y = train.labels[std::size_t(k)];
                    const auto n = double(std::count_if(rows.begin(), rows.end(), [&](int r) { return !std::isnan(y[std::size_t(r)]); }));
                    report.train_loss[std::size_t(k)] += n * s.loss_values[std::size_t(k)];
                    p.labelled[std::size_t(k)] += n;
                    report.mean_coefficients[std::size_t(k)] += s.reported[std::size_t(k)];
                }
            }
            checkpoint_due = every > 0 && s.steps % every == 0;
            if (checkpoint_due && std::size_t(p.batch) < batches.size()) {  // one that ends the epoch waits for its end
                const double before = p.seconds;
                p.seconds = seconds();
                s.save_checkpoint();
                p.seconds = before;
            }
        }
        report.skipped_steps = int(s.skipped - p.skipped_before);
        const auto used = double(batches.size()) - report.skipped_steps;
        for (int k = 0; k < s.K; ++k) {
            if (p.labelled[std::size_t(k)] > 0) report.train_loss[std::size_t(k)] /= p.labelled[std::size_t(k)];
            if (used > 0) report.mean_coefficients[std::size_t(k)] /= used;
        }
        s.strategy.end_epoch(report.train_loss);

        if (validation) {  // defined, as checked above; a diverged model throws naming the epoch
            const std::string what = "fit: validation data after epoch " + std::to_string(epoch);
            report.validation_metric = detail::main_metric_of_valid(s.model, *validation, s.main, what).value();
        }
        TrainResult& result = p.result;
        if (report.validation_metric && (!result.best_validation_metric || *report.validation_metric > *result.best_validation_metric)) {
            result.best_validation_metric = report.validation_metric;
            result.best_epoch = epoch;
            report.best = true;
            p.since_best = 0;
            if (s.opt.restore_best) p.best = s.model.snapshot();
        } else {
            ++p.since_best;
        }
        report.seconds = seconds();
        result.epochs.push_back(report);
        if (s.opt.on_epoch) s.opt.on_epoch(report);
        if (epoch + 1 == s.opt.epochs || (validation && s.opt.patience > 0 && p.since_best >= s.opt.patience)) break;
        ++s.epoch;
        s.start_epoch();
        if (checkpoint_due || s.opt.checkpoint_epochs) s.save_checkpoint();
    }
    if (validation && s.opt.restore_best && !p.best.empty()) s.model.restore(p.best);
    return p.result;
}

template TrainResult Trainer<float>::fit(const Dataset<float>&, const Dataset<float>*);
template TrainResult Trainer<double>::fit(const Dataset<double>&, const Dataset<double>*);

}  // namespace hyda::mtl
