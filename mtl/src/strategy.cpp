// The registry of weighting strategies: one line per strategy.
#include "hyda/mtl/strategy.hpp"

#include <functional>
#include <stdexcept>

#include "strategies/cagrad.hpp"
#include "strategies/dwa.hpp"
#include "strategies/fixed.hpp"
#include "strategies/gcossim.hpp"
#include "strategies/gradnorm.hpp"
#include "strategies/hydalearn.hpp"
#include "strategies/mgda.hpp"
#include "strategies/olaux.hpp"
#include "strategies/options.hpp"
#include "strategies/pcgrad.hpp"
#include "strategies/slgrad.hpp"
#include "strategies/uncertainty.hpp"

namespace hyda::mtl {
namespace {

using Factory = std::function<std::unique_ptr<Strategy>(int tasks, int main, detail::Options&)>;

std::vector<double> static_weights(int tasks, detail::Options& o) {
    std::vector<double> w = o.numbers("weights");
    if (int(w.size()) != tasks) {
        throw std::invalid_argument("static: weights= needs " + std::to_string(tasks) + " comma-separated values, got " + std::to_string(w.size()));
    }
    return w;
}

const std::vector<std::pair<std::string, Factory>>& registry() {
    static const std::vector<std::pair<std::string, Factory>> table = {
        {"hydalearn", [](int k, int m, detail::Options& o) { return std::make_unique<HydaLearn>(k, m, o); }},
        {"equal", [](int k, int, detail::Options&) { return std::make_unique<FixedWeights>("equal", std::vector<double>(std::size_t(k), 1.0)); }},
        {"single", [](int k, int m, detail::Options&) {
             std::vector<double> w(std::size_t(k), 0.0);
             w[std::size_t(m)] = 1;
             return std::make_unique<FixedWeights>("single", w);
         }},
        {"static", [](int k, int, detail::Options& o) { return std::make_unique<FixedWeights>("static", static_weights(k, o)); }},
        {"pcgrad", [](int k, int, detail::Options& o) { return std::make_unique<PCGrad>(k, o); }},
        {"mgda", [](int k, int, detail::Options& o) { return std::make_unique<MGDA>(k, o); }},
        {"cagrad", [](int k, int, detail::Options& o) { return std::make_unique<CAGrad>(k, o); }},
        {"uncertainty", [](int k, int, detail::Options& o) { return std::make_unique<UncertaintyWeighting>(k, o); }},
        {"dwa", [](int k, int, detail::Options& o) { return std::make_unique<DynamicWeightAverage>(k, o); }},
        {"gradnorm", [](int k, int, detail::Options& o) { return std::make_unique<GradNorm>(k, o); }},
        {"gcossim", [](int, int m, detail::Options& o) { return std::make_unique<GradientCosineSimilarity>(m, o); }},
        {"olaux", [](int k, int m, detail::Options& o) { return std::make_unique<OnlineAuxiliaryWeighting>(k, m, o); }},
        {"slgrad", [](int, int, detail::Options& o) { return std::make_unique<SLGrad>(o); }},
    };
    return table;
}

}  // namespace

std::unique_ptr<Strategy> make_strategy(const std::string& name, int tasks, int main, const std::vector<std::string>& options) {
    if (tasks < 1 || main < 0 || main >= tasks) throw std::invalid_argument("make_strategy: main task " + std::to_string(main) + " of " + std::to_string(tasks));
    for (const auto& [key, factory] : registry()) {
        if (key != name) continue;
        detail::Options o(name, options);
        std::unique_ptr<Strategy> s = factory(tasks, main, o);
        o.finish();
        s->tasks_ = tasks;
        s->main_ = main;
        return s;
    }
    std::string known;
    for (const auto& [key, f] : registry()) known += (known.empty() ? "" : ", ") + key;
    throw std::invalid_argument("unknown weighting strategy '" + name + "' (known: " + known + ")");
}

std::vector<std::string> strategy_names() {
    std::vector<std::string> names;
    for (const auto& [key, f] : registry()) names.push_back(key);
    return names;
}

}  // namespace hyda::mtl
