#include "dwa.hpp"

#include <algorithm>

#include "softmax.hpp"

namespace hyda::mtl {

DynamicWeightAverage::DynamicWeightAverage(int tasks, detail::Options& options)
    : temperature_(options.number("temperature", 2.0)),
      weights_(std::size_t(tasks), 1.0),
      previous_(std::size_t(tasks), 0.0),
      latest_(std::size_t(tasks), 0.0) {
    if (!(temperature_ > 0)) throw std::invalid_argument("dwa: temperature must be > 0");
}

void DynamicWeightAverage::do_coefficients(const StepContext&, std::span<double> c) { std::copy(weights_.begin(), weights_.end(), c.begin()); }

void DynamicWeightAverage::do_end_epoch(std::span<const double> mean_losses) {
    previous_.swap(latest_);
    std::copy(mean_losses.begin(), mean_losses.end(), latest_.begin());
    if (++epochs_seen_ < 2) return;
    const std::size_t K = weights_.size();
    for (std::size_t k = 0; k < K; ++k) weights_[k] = (previous_[k] > 0 ? latest_[k] / previous_[k] : 1.0) / temperature_;
    detail::softmax(weights_);
    for (double& w : weights_) w *= double(K);
}

void DynamicWeightAverage::visit_state(StateVisitor& v) {
    v("epochs_seen", epochs_seen_);
    v("weights", weights_);
    v("previous", previous_);
    v("latest", latest_);
}

}  // namespace hyda::mtl
