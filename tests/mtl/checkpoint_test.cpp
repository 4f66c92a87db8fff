// Training checkpoints. For every strategy (and the variants with state of their own),
// with Adam and with SGD + momentum, dropout, and validation data with restore_best and
// patience: a run resumed from any of its checkpoints (mid-epoch, or at an epoch's end)
// in a fresh model, strategy and trainer ends with the parameters and epoch reports of the
// run never interrupted, bit for bit; and saving checkpoints changes nothing about a run.
// A checkpoint that is truncated, corrupt, of another format or from another run is
// refused with a DataError naming it, and leaves the trainer as it was.
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "data_error_of.hpp"
#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;
using Catch::Contains;

namespace {

struct Method {
    std::string name;
    std::vector<std::string> options;
};

// Every registered strategy with its defaults, and the variants whose state differs
// (per-layer, smoothed, held-out, warm-up, solver cadence, ...).
std::vector<Method> methods() {
    std::vector<Method> all;
    for (const std::string& name : strategy_names()) all.push_back({name, name == "static" ? std::vector<std::string>{"weights=1,0.5,0.25"} : std::vector<std::string>{}});
    const std::vector<Method> variants = {
        {"hydalearn", {"gain=exact"}},
        {"hydalearn", {"gain=sample"}},
        {"hydalearn", {"smooth=0.5"}},
        {"hydalearn", {"prior=0.3", "batch=held_out"}},
        {"hydalearn", {"preset=held_out_prior"}},
        {"hydalearn", {"granularity=layer", "smooth=0.5"}},
        {"hydalearn", {"self_gain=debiased"}},
        {"gradvac", {"granularity=layer"}},
        {"famo", {"update=gd"}},
        {"moco", {"normalize=loss"}},
        {"nashmtl", {"update_weights_every=3"}},
        {"imtl", {"ub=on"}},
        {"imtl", {"mode=loss"}},
        {"alignedmtl", {"ub=on"}},
        {"stch", {"warmup=1"}},
        {"rlw", {"dist=dirichlet"}},
        {"pcgrad", {"heads=weighted"}},
    };
    all.insert(all.end(), variants.begin(), variants.end());
    return all;
}

template <class T>
struct Problem {
    ModelSpec spec;
    Dataset<T> train, validation;
};

// 96 training rows (3 batches of 32 an epoch), 48 validation rows, a small trunk with dropout.
template <class T>
const Problem<T>& problem() {
    static const Problem<T> p = [] {
        SyntheticSpec synth;
        synth.rows = 96;
        synth.features = 6;
        synth.main_labelled = 0.5;
        Problem<T> out;
        out.train = make_synthetic<T>(synth);
        synth.seed += 1;
        synth.rows = 48;
        out.validation = make_synthetic<T>(synth);
        out.spec.inputs = synth.features;
        out.spec.trunk = {8, 8};
        out.spec.dropout = 0.2;
        out.spec.tasks = synthetic_tasks();
        return out;
    }();
    return p;
}

TrainOptions options(OptimizerKind optimizer) {
    TrainOptions o;
    o.epochs = 5;
    o.batch_size = 32;
    o.optimizer = optimizer;
    o.lr = optimizer == OptimizerKind::sgd ? 0.05 : 0.01;
    o.momentum = 0.9;
    o.patience = 2;
    o.restore_best = true;
    o.seed = 7;
    return o;
}

template <class T>
struct Run {
    std::vector<std::vector<T>> parameters;
    TrainResult result;
    std::vector<std::string> checkpoints;
    CheckpointPosition resumed_at;
};

// A run from a fresh model, strategy and trainer: resumed from `checkpoint` if given,
// saving checkpoints every 4 steps and at each epoch's end if `save`.
template <class T>
Run<T> train(const Method& m, TrainOptions o, bool save, const std::string* checkpoint = nullptr) {
    const Problem<T>& p = problem<T>();
    Model<T> model(p.spec, 11);
    const auto strategy = make_strategy(m.name, model.tasks(), p.spec.main_task, m.options);
    Run<T> run;
    if (save) {
        o.checkpoint_every = 4;
        o.checkpoint_epochs = true;
        o.on_checkpoint = [&](std::string_view bytes) { run.checkpoints.emplace_back(bytes); };
    }
    Trainer<T> trainer(model, *strategy, o);
    if (checkpoint) run.resumed_at = trainer.resume(*checkpoint, "run.ckpt");
    run.result = trainer.fit(p.train, &p.validation);
    run.parameters = model.snapshot();
    return run;
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_bits(a[i], b[i])) return false;
    return true;
}

template <class T>
bool same_bits(const std::vector<std::vector<T>>& a, const std::vector<std::vector<T>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(T)) != 0) return false;
    return true;
}

// Everything but the seconds, which are the clock's.
void require_same(const TrainResult& a, const TrainResult& b) {
    REQUIRE(a.best_epoch == b.best_epoch);
    REQUIRE(a.best_validation_metric.has_value() == b.best_validation_metric.has_value());
    if (a.best_validation_metric) REQUIRE(same_bits(*a.best_validation_metric, *b.best_validation_metric));
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (std::size_t e = 0; e < a.epochs.size(); ++e) {
        const EpochReport &x = a.epochs[e], &y = b.epochs[e];
        INFO("epoch " << e);
        REQUIRE(x.epoch == y.epoch);
        REQUIRE(same_bits(x.train_loss, y.train_loss));
        REQUIRE(same_bits(x.mean_coefficients, y.mean_coefficients));
        REQUIRE(x.validation_metric.has_value() == y.validation_metric.has_value());
        if (x.validation_metric) REQUIRE(same_bits(*x.validation_metric, *y.validation_metric));
        REQUIRE(x.best == y.best);
        REQUIRE(x.skipped_steps == y.skipped_steps);
    }
}

// The checkpoint with its payload changed by `edit`, the header's size and CRC made to fit:
// a file that passes the CRC but says something else.
std::string reframed(const std::string& checkpoint, const std::function<void(std::string&)>& edit) {
    std::string payload = checkpoint.substr(24);
    edit(payload);
    BinaryWriter header;
    header.raw(checkpoint.substr(0, 12));  // magic, version
    header.put<std::uint64_t>(payload.size());
    header.put<std::uint32_t>(crc32(payload));
    return header.bytes() + payload;
}

}  // namespace

TEST_CASE("checkpoints: every strategy resumes bitwise from any checkpoint, with Adam and SGD with momentum", "[checkpoint]") {
    for (const OptimizerKind optimizer : {OptimizerKind::adam, OptimizerKind::sgd}) {
        for (const Method& m : methods()) {
            std::string label = m.name;
            for (const std::string& o : m.options) label += " " + o;
            INFO((optimizer == OptimizerKind::adam ? "adam, " : "sgd, ") << label);
            const Run<float> plain = train<float>(m, options(optimizer), false);
            const Run<float> saved = train<float>(m, options(optimizer), true);
            // Saving reads the state only.
            REQUIRE(same_bits(plain.parameters, saved.parameters));
            require_same(plain.result, saved.result);
            // 3 steps an epoch, a checkpoint every 4 steps and at each epoch's end: some
            // mid-epoch, some at an epoch's start, none once the run has decided to stop.
            REQUIRE(saved.checkpoints.size() >= 3);
            for (std::size_t i = 0; i < saved.checkpoints.size(); ++i) {
                INFO("resumed from checkpoint " << i);
                const Run<float> resumed = train<float>(m, options(optimizer), true, &saved.checkpoints[i]);
                REQUIRE(same_bits(resumed.parameters, plain.parameters));
                require_same(resumed.result, plain.result);
            }
        }
    }
}

TEST_CASE("checkpoints: where a checkpoint continues, in double precision too", "[checkpoint]") {
    const Method hydalearn{"hydalearn", {"smooth=0.5"}};
    TrainOptions o = options(OptimizerKind::adam);
    o.patience = 0;  // all 5 epochs of 3 steps: checkpoints after steps 3 (an epoch's end), 4, 6 (end), 8, 9 (end), 12 (end; also the 4th step's)
    const Run<double> plain = train<double>(hydalearn, o, false);
    const Run<double> saved = train<double>(hydalearn, o, true);
    REQUIRE(saved.checkpoints.size() == 6);
    const std::vector<CheckpointPosition> where = {{1, 0, 3}, {1, 1, 4}, {2, 0, 6}, {2, 2, 8}, {3, 0, 9}, {4, 0, 12}};
    for (std::size_t i = 0; i < where.size(); ++i) {
        const Run<double> resumed = train<double>(hydalearn, o, false, &saved.checkpoints[i]);
        CHECK(resumed.resumed_at.epoch == where[i].epoch);
        CHECK(resumed.resumed_at.batch == where[i].batch);
        CHECK(resumed.resumed_at.step == where[i].step);
        // Only the epochs after the checkpoint were run again; the report has them all.
        REQUIRE(same_bits(resumed.parameters, plain.parameters));
        require_same(resumed.result, plain.result);
    }
}

TEST_CASE("checkpoints: a truncated, corrupt, foreign or mismatched checkpoint is a DataError naming it", "[checkpoint]") {
    const Method famo{"famo", {}};
    const TrainOptions o = options(OptimizerKind::adam);
    const Run<float> plain = train<float>(famo, o, false);
    const std::string good = train<float>(famo, o, true).checkpoints.at(1);
    const auto refused = [&](const std::string& bytes, const Method& m = {"famo", {}}, TrainOptions with = options(OptimizerKind::adam)) {
        return std::string(data_error_of([&] { train<float>(m, with, false, &bytes); }).what());
    };

    TrainOptions nowhere = o;  // checkpoints with nowhere to go
    nowhere.checkpoint_epochs = true;
    CHECK_THROWS_WITH(train<float>(famo, nowhere, false), Contains("need on_checkpoint"));
    nowhere.checkpoint_every = -1;
    CHECK_THROWS_WITH(train<float>(famo, nowhere, false), Contains("checkpoint_every must be >= 0"));

    for (const std::size_t size : {std::size_t(0), std::size_t(7)}) CHECK_THAT(refused(good.substr(0, size)), Contains("run.ckpt") && Contains("not a hyda checkpoint"));
    for (const std::size_t size : {std::size_t(20), std::size_t(24), good.size() / 2, good.size() - 1})
        CHECK_THAT(refused(good.substr(0, size)), Contains("run.ckpt") && Contains("truncated"));
    CHECK_THAT(refused(good + "x"), Contains("bytes of payload"));
    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x10;
    CHECK_THAT(refused(flipped), Contains("run.ckpt") && Contains("corrupt") && Contains("CRC-32"));
    std::string version = good;
    version[8] = 2;
    CHECK_THAT(refused(version), Contains("format version 2"));
    CHECK_THAT(refused("PK\x03\x04 a zip file, say"), Contains("not a hyda checkpoint"));

    // Another run: the setting that differs is named.
    CHECK_THAT(refused(good, {"moco", {}}), Contains("another run") && Contains("strategy is 'famo' in the checkpoint, 'moco' in this run"));
    CHECK_THAT(refused(good, {"famo", {"lr=0.1"}}), Contains("strategy.options is '' in the checkpoint, 'lr=0.1' in this run"));
    TrainOptions other = o;
    other.lr = 0.02;
    CHECK_THAT(refused(good, famo, other), Contains("lr is '0.01' in the checkpoint, '0.02' in this run"));
    other = o;
    other.seed = 8;
    CHECK_THAT(refused(good, famo, other), Contains("seed is '7'"));
    other = o;
    other.checkpoint_identity = {{"data file", "abc"}};
    CHECK_THAT(refused(good, famo, other), Contains("data file is not set in the checkpoint, 'abc' in this run"));

    // Other data: fit() refuses it.
    {
        const Problem<float>& p = problem<float>();
        Model<float> model(p.spec, 11);
        const auto strategy = make_strategy("famo", model.tasks(), 0);
        Trainer<float> trainer(model, *strategy, o);
        trainer.resume(good, "run.ckpt");
        Dataset<float> changed = p.train;
        changed.x[5] += 1;
        CHECK_THAT(data_error_of([&] { trainer.fit(changed, &p.validation); }).what(), Contains("run.ckpt") && Contains("other data") && Contains("training data"));
        CHECK_THAT(data_error_of([&] { trainer.fit(p.train, nullptr); }).what(), Contains("validation data"));
    }

    // Past the CRC, a count no bytes back: refused before anything is allocated for it.
    const std::string huge = reframed(good, [](std::string& payload) {
        for (int i = 0; i < 8; ++i) payload[std::size_t(i)] = char(0x7f);
    });
    CHECK_THAT(refused(huge), Contains("run.ckpt") && Contains("identity"));
    // A field of another name or kind is named.
    const std::string renamed = reframed(good, [](std::string& payload) {
        const std::size_t at = payload.find("first_moment");
        REQUIRE(at != std::string::npos);
        payload[at] = 'F';
    });
    CHECK_THAT(refused(renamed), Contains("section 'optimizer'") && Contains("First_moment"));

    // A checkpoint that fails only after its state was read (a trailing byte past the CRC)
    // leaves the trainer as it was: it trains like a fresh one.
    const std::string trailing = reframed(good, [](std::string& payload) { payload += '\0'; });
    {
        const Problem<float>& p = problem<float>();
        Model<float> model(p.spec, 11);
        const auto strategy = make_strategy("famo", model.tasks(), 0);
        Trainer<float> trainer(model, *strategy, o);
        CHECK_THAT(data_error_of([&] { trainer.resume(trailing, "run.ckpt"); }).what(), Contains("1 bytes after the last field"));
        const TrainResult result = trainer.fit(p.train, &p.validation);
        CHECK(same_bits(model.snapshot(), plain.parameters));
        require_same(result, plain.result);
    }
}

TEST_CASE("checkpoints: a run whose names are long (a 1000-byte task name) resumes", "[checkpoint]") {
    // Parameter and identity texts hold the task names: a reader bounding them tighter
    // than the writer would make such a run unresumable.
    const Problem<float>& p = problem<float>();
    ModelSpec spec = p.spec;
    spec.tasks[0].name = std::string(1000, 'm');
    TrainOptions o = options(OptimizerKind::adam);
    o.epochs = 2;
    auto run = [&](bool save, const std::string* from) {
        Model<float> model(spec, 11);
        const auto strategy = make_strategy("hydalearn", model.tasks(), spec.main_task);
        std::vector<std::string> saved;
        if (save) {
            o.checkpoint_every = 2;
            o.on_checkpoint = [&](std::string_view bytes) { saved.emplace_back(bytes); };
        }
        Trainer<float> trainer(model, *strategy, o);
        if (from) trainer.resume(*from, "long.ckpt");
        trainer.fit(p.train, &p.validation);
        return std::pair(model.snapshot(), saved);
    };
    const auto [plain, checkpoints] = run(true, nullptr);
    REQUIRE_FALSE(checkpoints.empty());
    o.on_checkpoint = nullptr;
    o.checkpoint_every = 0;
    CHECK(same_bits(run(false, &checkpoints.front()).first, plain));
}
