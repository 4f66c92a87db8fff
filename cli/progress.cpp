#include "progress.hpp"

#include <cmath>
#include <cstdio>

#include "report.hpp"

namespace hyda::cli {

std::string duration_text(double seconds) {
    char text[64];
    const long s = std::lround(seconds);
    if (s < 60) {
        std::snprintf(text, sizeof text, "%.3g s", seconds);
    } else if (s < 3600) {
        std::snprintf(text, sizeof text, "%ld min %02ld s", s / 60, s % 60);
    } else {
        std::snprintf(text, sizeof text, "%ld h %02ld min", s / 3600, s % 3600 / 60);
    }
    return text;
}

EpochProgress::EpochProgress(std::ostream& err, std::vector<std::string> tasks, std::string metric, int epochs)
    : err_(err), tasks_(std::move(tasks)), metric_(std::move(metric)), epochs_(epochs) {}

void EpochProgress::operator()(const mtl::EpochReport& r) {
    seconds_ += r.seconds;
    ++seen_;
    const int done = r.epoch + 1;
    std::string line = "epoch " + std::to_string(done) + "/" + std::to_string(epochs_) + "  loss";
    for (std::size_t k = 0; k < tasks_.size(); ++k) line += ' ' + tasks_[k] + ' ' + fixed(r.train_loss[k]);
    if (r.validation_metric) {
        // The trainer orients the metric so that higher is better: -RMSE for regression.
        const double v = metric_ == "rmse" ? -*r.validation_metric : *r.validation_metric;
        line += "  validation " + metric_ + ' ' + fixed(v) + (r.best ? " (best)" : "");
    }
    if (r.skipped_steps > 0) line += "  skipped " + std::to_string(r.skipped_steps) + " steps (non-finite loss or gradient)";
    const double per_epoch = seconds_ / seen_;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.3g", per_epoch);
    line += std::string("  ") + rate + " s/epoch";
    // Early stopping may end sooner: the estimate is an upper bound.
    if (done < epochs_) line += "  at most " + duration_text(per_epoch * (epochs_ - done)) + " left";
    err_ << line << std::endl;
}

}  // namespace hyda::cli
