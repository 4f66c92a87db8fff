#pragma once
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Options: gain=first_order|exact, batch=train|held_out, normalize=sum|one|main, aux=on|off.
class HydaLearn final : public Strategy {
public:
    HydaLearn(int tasks, int main, detail::Options& options);
    std::string name() const override { return "hydalearn"; }
    Needs needs() const override;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    enum class Normalize { sum_to_tasks, sum_to_one, main_is_one };
    int tasks_, main_;
    bool exact_ = false, held_out_ = false, auxiliary_ = true;
    Normalize normalize_ = Normalize::sum_to_tasks;
};

}  // namespace hyda::mtl
