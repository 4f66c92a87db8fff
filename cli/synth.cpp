// hyda synth: a synthetic CSV file in one of the settings of docs/synthetic.md.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <stdexcept>

#include "hyda/mtl/atomic_file.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "hyda/mtl/synth.hpp"
#include "options.hpp"

namespace hyda::cli {
namespace {

struct SynthCommand {
    std::string setting;
    mtl::SynthSpec spec;
    std::optional<double> drift_start, drift_end;
    std::string out;
    bool quiet = false;
};

// The compare command that fits the file: phase is not an input and the ground-truth
// columns are the oracle's (--relatedness); the drift settings visit the rows in phase
// order, subgroup mixes the groups in every batch by Beta(0.3, 0.3) shares.
std::string suggested_compare(const std::string& file, mtl::SynthSetting setting) {
    std::string command = "hyda compare --data " + (file == "-" ? std::string("FILE.csv") : file) +
                          " --main main=1 --aux aux=1 --aux noise=1 --drop phase --relatedness aux=relatedness_aux --relatedness noise=relatedness_noise";
    if (setting == mtl::SynthSetting::drift || setting == mtl::SynthSetting::drift_late) command += " --order-by phase";
    if (setting == mtl::SynthSetting::subgroup) command += " --batch-mix group";
    return command + " --methods stl,ew,hydalearn,oracle --seeds 10";
}

void run_synth(SynthCommand c, Io& io) {
    try {
        c.spec.setting = mtl::synth_setting(c.setting);
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--setting: ") + e.what());
    }
    const bool drifts = c.spec.setting == mtl::SynthSetting::drift || c.spec.setting == mtl::SynthSetting::drift_late;
    if (!drifts && (c.drift_start || c.drift_end)) throw UsageError("--drift-start and --drift-end apply to the drift settings (drift, drift_late) only");
    c.spec.drift_start = c.drift_start;
    c.spec.drift_end = c.drift_end;
    try {
        c.spec.validate();
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const mtl::Table table = mtl::make_synth_table(c.spec);
    if (c.out == "-") mtl::write_table(io.out, table);
    else mtl::write_atomically(c.out, "synthetic data", [&](std::ostream& out) { mtl::write_table(out, table); });
    if (!c.quiet)
        io.err << "synth: " << table.rows() << " rows of setting " << c.setting << (c.out == "-" ? "" : " in " + c.out) << "; to compare methods on it:\n  "
               << suggested_compare(c.out, c.spec.setting) << '\n';
}

}  // namespace

Runner add_synth(CLI::App& app) {
    auto c = std::make_shared<SynthCommand>();
    std::string names;
    for (const auto n : mtl::synth_setting_names()) names += (names.empty() ? "" : ", ") + std::string(n);
    CLI::App* sub = app.add_subcommand("synth", "write a synthetic CSV file: a binary main task, an auxiliary of controlled relatedness and a noise one (docs/synthetic.md)");
    sub->add_option("--setting", c->setting, "how the auxiliary relates to the main task: " + names)->required();
    sub->add_option("--rows", c->spec.rows, "rows")->check(at_least(1));
    sub->add_option("--features", c->spec.features, "feature columns x1 .. xF (at least 2)");
    sub->add_option("--seed", c->spec.seed, "the seed every number is drawn from");
    sub->add_option("--drift-start", c->drift_start, "drift settings: the phase where the auxiliary starts to turn unrelated (default 0.1 for drift, 0.6 for drift_late)");
    sub->add_option("--drift-end", c->drift_end, "drift settings: the phase from which it is unrelated (default 0.4 for drift, 0.9 for drift_late)");
    sub->add_option("--out", c->out, "the CSV file to write, - for stdout")->required();
    sub->add_flag("--quiet", c->quiet, "do not print the suggested compare command on stderr");
    return [c](Io& io) { run_synth(*c, io); };
}

}  // namespace hyda::cli
