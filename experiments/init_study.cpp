// Which initialization should ModelSpec default to? A paired study (docs/initialization.md).
//
// For every data set, seed, method and init: train and measure the main task's test ROC
// AUC. Per seed, one split, one initial-parameter seed and one batch-order seed serve
// every method and init, so the inits are compared on paired runs.
//
// Usage: init_study [--data DIR] [--seeds N] [--epochs E] [--datasets a,b,...]
//                   [--runs FILE.csv] [--threads T]
//   DIR holds lending_club.csv and rotterdam.csv (default ../shared/datasets);
//   data sets: lending_club, rotterdam, synthetic (default all three).
//   --runs writes one row per training run. The summary goes to standard output.
#include <chrono>
#include <optional>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/stats.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda;
using namespace hyda::mtl;

namespace {

const std::vector<std::string> kMethods = {"single", "equal", "hydalearn"};
const std::vector<std::pair<Init, std::string>> kInits = {{Init::he_xavier, "he_xavier"}, {Init::fan_in_uniform, "fan_in_uniform"}, {Init::xavier, "xavier"}};

struct Options {
    std::string data = "../shared/datasets";
    int seeds = 20, epochs = 30, patience = 5, threads = 1;
    std::vector<std::string> datasets = {"lending_club", "rotterdam", "synthetic"};
    std::string runs;
};

// The seeds of one paired replicate, drawn from its index.
struct Seeds {
    std::uint64_t split, init, order;
};
Seeds seeds_of(int replicate) {
    ad::Rng rng{std::uint64_t(replicate)};
    return {rng(), rng(), rng()};  // a braced list evaluates left to right
}

// The encoded parts of one replicate.
struct Prepared {
    std::vector<TaskSpec> tasks;
    Dataset<float>::Split data;  // train, validation, test
};

// A table of the synthetic data's main labels (missing where unlabelled), to split on.
Table main_labels(const Dataset<float>& data) {
    Table t;
    t.source = "synthetic";
    Column& main = t.columns.emplace_back();
    main.name = "main";
    for (int r = 0; r < data.rows; ++r) {
        const float y = data.labels[0][std::size_t(r)];
        main.numbers.push_back(std::isnan(y) ? std::nan("") : double(y));
        t.lines.push_back(r + 2);
    }
    return t;
}

// The data of one replicate: a 0.6 / 0.2 / 0.2 split stratified on the main task.
class Source {
public:
    Source(const std::string& name, const std::string& dir) {
        if (name == "lending_club") {
            table_ = read_table(dir + "/lending_club.csv");
            spec_.targets = {parse_target("Class=bad"), parse_target("int_rate:regression"), parse_target("sub_grade:multiclass")};
        } else if (name == "rotterdam") {
            table_ = read_table(dir + "/rotterdam.csv");
            spec_.targets = {parse_target("death=1"), parse_target("recur=1"), parse_target("rtime:logregression")};
            spec_.drop = {"pid", "dtime"};
        } else if (name == "synthetic") {
            synthetic_ = make_synthetic<float>(SyntheticSpec{});
            table_ = main_labels(synthetic_);
            spec_.targets = {parse_target("main=1")};
        } else {
            throw std::invalid_argument("unknown data set '" + name + "' (lending_club, rotterdam, synthetic)");
        }
    }

    Prepared replicate(std::uint64_t split_seed) const {
        const auto parts = stratified_split(table_, spec_.targets[0], 0.6, 0.2, split_seed);
        if (synthetic_.rows > 0) return {synthetic_tasks(), {synthetic_.subset(parts[0]), synthetic_.subset(parts[1]), synthetic_.subset(parts[2])}};
        const Preprocessor p = Preprocessor::fit(table_, spec_, parts[0]);
        return {p.tasks(), {p.transform<float>(table_, parts[0]), p.transform<float>(table_, parts[1]), p.transform<float>(table_, parts[2])}};
    }

private:
    Table table_;
    DataSpec spec_;
    Dataset<float> synthetic_;
};

struct Run {
    double auc = 0, seconds = 0;
    int epochs = 0, best_epoch = 0;
};

Run train(const Prepared& p, const std::string& method, Init init, const Seeds& s, const Options& o) {
    ModelSpec spec;
    spec.inputs = p.data.first.features;
    spec.trunk = {64, 64};
    spec.tasks = p.tasks;
    spec.init = init;
    Model<float> model(spec, s.init);
    auto strategy = make_strategy(method, model.tasks(), spec.main_task);
    TrainOptions options;  // Adam, lr 1e-3, batch 64
    options.epochs = o.epochs;
    options.patience = o.patience;
    options.restore_best = true;
    options.seed = s.order;
    Trainer<float> trainer(model, *strategy, options);
    const auto t0 = std::chrono::steady_clock::now();
    const TrainResult result = trainer.fit(p.data.first, &p.data.second);
    Run r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::optional<double> auc = main_metric(model, p.data.rest, spec.main_task);
    if (!auc) throw std::runtime_error(method + ": the test split has one class of the main task only");
    r.auc = *auc;
    r.epochs = int(result.epochs.size());
    r.best_epoch = result.best_epoch;
    return r;
}

// Rows, features and main-task positives per part, so the preparation can be checked.
void describe(const std::string& name, const Prepared& p) {
    std::fprintf(stderr, "%s: %d features; tasks", name.c_str(), p.data.first.features);
    for (const TaskSpec& t : p.tasks) std::fprintf(stderr, " %s (%d outputs)", t.name.c_str(), t.outputs());
    for (const Dataset<float>* d : {&p.data.first, &p.data.second, &p.data.rest}) {
        int labelled = 0, positive = 0;
        for (float y : d->labels[0]) labelled += !std::isnan(y), positive += y == 1;
        std::fprintf(stderr, "; %d rows, %d labelled, %d positive", d->rows, labelled, positive);
    }
    std::fprintf(stderr, "\n");
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = s.find(',', start);
        items.push_back(s.substr(start, comma - start));
        if (comma == std::string::npos) return items;
        start = comma + 1;
    }
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument("missing value after " + arg);
        const std::string value = argv[++i];
        if (arg == "--data") o.data = value;
        else if (arg == "--seeds") o.seeds = std::stoi(value);
        else if (arg == "--epochs") o.epochs = std::stoi(value);
        else if (arg == "--datasets") o.datasets = split_list(value);
        else if (arg == "--runs") o.runs = value;
        else if (arg == "--threads") o.threads = std::stoi(value);
        else throw std::invalid_argument("unknown option " + arg);
    }
    if (o.seeds < 1 || o.epochs < 1) throw std::invalid_argument("--seeds and --epochs must be >= 1");
    return o;
}

// x with its sign: "+0.0123", "-0.0045".
std::string signed_fixed(double x, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.*f", digits, x);
    return buf;
}

std::string p_value(double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, p < 0.001 ? "%.1e" : "%.3f", p);
    return buf;
}

}  // namespace

int main(int argc, char** argv) try {
    const Options o = parse(argc, argv);
    set_num_threads(o.threads);
    std::FILE* runs = nullptr;
    if (!o.runs.empty()) {
        runs = std::fopen(o.runs.c_str(), "w");
        if (runs == nullptr) throw std::runtime_error("cannot write " + o.runs);
        std::fprintf(runs, "dataset,seed,method,init,test_auc,epochs,best_epoch,seconds\n");
    }
    const auto start = std::chrono::steady_clock::now();
    // auc[dataset][method][init] = one value per seed.
    std::map<std::string, std::map<std::string, std::vector<std::vector<double>>>> auc;
    for (const std::string& name : o.datasets) {
        const Source source(name, o.data);
        for (const std::string& m : kMethods) auc[name][m].assign(kInits.size(), {});
        for (int seed = 1; seed <= o.seeds; ++seed) {
            const Seeds s = seeds_of(seed);
            const Prepared p = source.replicate(s.split);
            if (seed == 1) describe(name, p);
            for (const std::string& m : kMethods) {
                for (std::size_t i = 0; i < kInits.size(); ++i) {
                    const Run r = train(p, m, kInits[i].first, s, o);
                    auc[name][m][i].push_back(r.auc);
                    if (runs != nullptr) {
                        std::fprintf(runs, "%s,%d,%s,%s,%.6f,%d,%d,%.3f\n", name.c_str(), seed, m.c_str(), kInits[i].second.c_str(), r.auc, r.epochs, r.best_epoch, r.seconds);
                        std::fflush(runs);
                    }
                }
            }
            std::fprintf(stderr, "%s: seed %d of %d done, %.0f s so far\n", name.c_str(), seed, o.seeds,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
    }
    if (runs != nullptr) std::fclose(runs);

    std::printf("Mean test ROC AUC of the main task over %d paired seeds; each init minus he_xavier: mean difference, paired t (p), sign test p.\n\n", o.seeds);
    std::printf("| data set | method |");
    for (const auto& [init, label] : kInits) std::printf(" %s |", label.c_str());
    for (std::size_t i = 1; i < kInits.size(); ++i) std::printf(" %s - he_xavier: diff, t (p), sign p |", kInits[i].second.c_str());
    std::printf("\n|---|---|");
    for (std::size_t i = 0; i < 2 * kInits.size() - 1; ++i) std::printf("---|");
    std::printf("\n");
    // The decision: per init, the cells (data set x method) where it is significantly worse
    // (paired t-test p < 0.05) than another init, and its mean AUC over all cells.
    std::vector<std::vector<std::string>> worse(kInits.size());  // "cell < other init (p)"
    std::vector<double> grand(kInits.size(), 0.0);
    int cells = 0;
    for (const std::string& name : o.datasets) {
        for (const std::string& m : kMethods) {
            const auto& a = auc[name][m];
            std::printf("| %s | %s |", name.c_str(), m.c_str());
            for (std::size_t i = 0; i < kInits.size(); ++i) {
                double mean = 0;
                for (double v : a[i]) mean += v;
                mean /= double(a[i].size());
                grand[i] += mean;
                std::printf(" %.4f |", mean);
            }
            for (std::size_t i = 1; i < kInits.size(); ++i) {
                const PairedTTest t = paired_t_test(a[i], a[0]);
                const SignTest sign = sign_test(a[i], a[0]);
                std::printf(" %s, %.2f (%s), %s |", signed_fixed(t.mean, 4).c_str(), t.t, p_value(t.p).c_str(), p_value(sign.p).c_str());
            }
            std::printf("\n");
            for (std::size_t i = 0; i < kInits.size(); ++i) {
                std::string below;
                for (std::size_t j = 0; j < kInits.size(); ++j) {
                    const PairedTTest t = paired_t_test(a[i], a[j]);
                    if (i != j && t.mean < 0 && t.p < 0.05) below += (below.empty() ? "" : ", ") + kInits[j].second + " (p " + p_value(t.p) + ")";
                }
                if (!below.empty()) worse[i].push_back(name + "/" + m + " < " + below);
            }
            ++cells;
        }
    }
    std::printf("\nRule: the default is the init with the highest mean AUC over all cells among those that are in no cell\n"
                "significantly worse (paired t-test, p < 0.05) than another init.\n\n| init | mean AUC over cells | cells where significantly worse than another init |\n|---|---|---|\n");
    int chosen = -1;
    for (std::size_t i = 0; i < kInits.size(); ++i) {
        grand[i] /= cells;
        std::string where;
        for (const std::string& w : worse[i]) where += (where.empty() ? "" : "; ") + w;
        std::printf("| %s | %.4f | %zu of %d%s%s |\n", kInits[i].second.c_str(), grand[i], worse[i].size(), cells, where.empty() ? "" : ": ", where.c_str());
        if (worse[i].empty() && (chosen < 0 || grand[i] > grand[std::size_t(chosen)])) chosen = int(i);
    }
    std::printf("\nchosen: %s\n", chosen < 0 ? "none qualifies (keep the current default)" : kInits[std::size_t(chosen)].second.c_str());
    std::printf("wall time: %.0f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "init_study: %s\n", e.what());
    return 1;
}
