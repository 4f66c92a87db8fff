#pragma once
// Strategies whose coefficients do not depend on the batch.
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Constant coefficients: equal weights (all 1), single-task (main 1, auxiliaries 0), or
// static weights given as weights=w0,w1,... .
class FixedWeights final : public Strategy {
public:
    FixedWeights(std::string name, std::vector<double> weights) : name_(std::move(name)), weights_(std::move(weights)) {}
    std::string name() const override { return name_; }

private:
    void do_coefficients(const StepContext&, std::span<double> c) override { std::copy(weights_.begin(), weights_.end(), c.begin()); }

    std::string name_;
    std::vector<double> weights_;
};

}  // namespace hyda::mtl
