#pragma once
#include "hyda/mtl/strategy.hpp"
#include "options.hpp"

namespace hyda::mtl {

// Gradient cosine similarity: Du, Czarnecki, Jayakumar, Farajtabar, Pascanu &
// Lakshminarayanan, "Adapting auxiliary losses using gradient similarity", arXiv 1812.02224
// (2018).
//
// The main task keeps weight 1. Every auxiliary task k is judged on its own, by the cosine
// of its gradient with the main task's over the shared parameters, read from G:
//     cos_k = G_mk / sqrt(G_mm G_kk),
//     mode=unweighted: c_k = 1 if cos_k > 0, else 0     (the paper's unweighted version)
//     mode=weighted:   c_k = max(0, cos_k)              (the paper's weighted version)
// An auxiliary gradient that points against the main task's is dropped for this batch,
// so the update never moves against the main task to first order.
//
// Choice where the paper is silent: if either gradient is zero the cosine is undefined; it
// counts as 0, so the auxiliary task sits the batch out (there is no evidence it helps).
//
// Options: mode=unweighted|weighted (default unweighted).
class GradientCosineSimilarity final : public Strategy {
public:
    GradientCosineSimilarity(int main, detail::Options& options);
    std::string name() const override { return "gcossim"; }

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override;

    int main_;
    bool weighted_;
};

}  // namespace hyda::mtl
