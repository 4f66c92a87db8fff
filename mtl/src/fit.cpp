// Trainer<T>::fit: the epoch loop, the learning-rate schedule, early stopping and the
// best epoch's restore.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>

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
    TrainResult result;
    std::vector<std::vector<T>> best;
    std::optional<double> best_metric;
    int since_best = 0;
    const double lr0 = s.opt.lr;
    for (int epoch = 0; epoch < s.opt.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        s.epoch = epoch;
        double lr = lr0;
        if (s.opt.schedule == Schedule::cosine) lr = lr0 * 0.5 * (1 + std::cos(M_PI * epoch / std::max(1, s.opt.epochs)));
        if (s.opt.schedule == Schedule::step) lr = lr0 * std::pow(s.opt.step_gamma, epoch / std::max(1, s.opt.step_every));
        s.optimizer->set_lr(T(lr));

        const std::vector<std::vector<int>> batches = epoch_batches(train, s.opt.batching, s.opt.batch_size, s.opt.seed, epoch, s.opt.mix_concentration);
        EpochReport report;
        report.epoch = epoch;
        report.train_loss.assign(std::size_t(s.K), 0.0);
        report.mean_coefficients.assign(std::size_t(s.K), 0.0);
        // A batch's loss of task k is a mean over its rows labelled for k: weighted by
        // their count, the epoch's loss is the mean over every labelled row, and a batch
        // without a label for k (loss 0, no measurement) does not pull it down.
        std::vector<double> labelled(std::size_t(s.K), 0.0);
        const std::int64_t skipped_before = s.skipped;
        for (const std::vector<int>& rows : batches) {
            const std::int64_t skipped = s.skipped;
            step(train, rows, validation);
            if (s.skipped != skipped) continue;  // its losses are not finite, its coefficients not computed
            for (int k = 0; k < s.K; ++k) {
                const auto& y = train.labels[std::size_t(k)];
                const auto n = double(std::count_if(rows.begin(), rows.end(), [&](int r) { return !std::isnan(y[std::size_t(r)]); }));
                report.train_loss[std::size_t(k)] += n * s.loss_values[std::size_t(k)];
                labelled[std::size_t(k)] += n;
                report.mean_coefficients[std::size_t(k)] += s.reported[std::size_t(k)];
            }
        }
        report.skipped_steps = int(s.skipped - skipped_before);
        const auto used = double(batches.size()) - report.skipped_steps;
        for (int k = 0; k < s.K; ++k) {
            if (labelled[std::size_t(k)] > 0) report.train_loss[std::size_t(k)] /= labelled[std::size_t(k)];
            if (used > 0) report.mean_coefficients[std::size_t(k)] /= used;
        }
        s.strategy.end_epoch(report.train_loss);

        if (validation) {  // defined, as checked above; a diverged model throws naming the epoch
            const std::string what = "fit: validation data after epoch " + std::to_string(epoch);
            report.validation_metric = detail::main_metric_of_valid(s.model, *validation, s.main, what).value();
        }
        if (report.validation_metric && (!best_metric || *report.validation_metric > *best_metric)) {
            best_metric = report.validation_metric;
            result.best_epoch = epoch;
            report.best = true;
            since_best = 0;
            if (s.opt.restore_best) best = s.model.snapshot();
        } else {
            ++since_best;
        }
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        result.epochs.push_back(report);
        if (s.opt.on_epoch) s.opt.on_epoch(report);
        if (validation && s.opt.patience > 0 && since_best >= s.opt.patience) break;
    }
    result.best_validation_metric = best_metric;
    if (validation && s.opt.restore_best && !best.empty()) s.model.restore(best);
    return result;
}

template TrainResult Trainer<float>::fit(const Dataset<float>&, const Dataset<float>*);
template TrainResult Trainer<double>::fit(const Dataset<double>&, const Dataset<double>*);

}  // namespace hyda::mtl
