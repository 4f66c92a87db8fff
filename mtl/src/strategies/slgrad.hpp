#pragma once
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Options: score=dot|cosine (a sample's raw inner product with the held-out main
// gradient, as the authors' code does, or its cosine).
class SLGrad final : public Strategy {
public:
    explicit SLGrad(detail::Options& options);
    std::string name() const override { return "slgrad"; }
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;
    void do_sample_weights(const SampleContext& ctx, std::span<double> w) override;

    bool cosine_ = false;
};

}  // namespace hyda::mtl
