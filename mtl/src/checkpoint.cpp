// Training checkpoints (docs/checkpoints.md): what a checkpoint holds and must match, the
// trainer's part of the state, saving it and resuming from it. The bytes are
// io/checkpoint_codec's; fit.cpp decides when to save.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <type_traits>

#include "hyda/mtl/data_error.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {
namespace {

// The identity keys of fit()'s data: compared when fit() gets its data, not at resume().
const std::vector<std::string> data_keys = {"training data", "validation data"};

std::string joined(const std::vector<int>& values) {
    std::string out;
    for (int v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
    return out;
}

std::string tasks_text(const std::vector<TaskSpec>& tasks) {
    static const char* kinds[] = {"binary", "regression", "multiclass"};
    std::string out;
    for (const TaskSpec& t : tasks) {
        out += (out.empty() ? "" : "; ") + t.name + ':' + kinds[int(t.kind)];
        if (t.kind == TaskKind::multiclass) out += " classes=" + std::to_string(t.classes);
        if (t.kind == TaskKind::regression) out += " huber_delta=" + detail::exact_text(t.huber_delta);
        if (!t.head_hidden.empty()) out += " head=" + joined(t.head_hidden);
    }
    return out;
}

// A CRC-32 of a dataset's values as little-endian bytes (the same on any host), encoded
// a chunk at a time.
class DataCrc {
public:
    template <class V>
    void add(std::span<const V> values) {
        out_.put<std::uint64_t>(values.size());
        for (V v : values) {
            out_.put(v);
            if (out_.bytes().size() >= (1 << 16)) flush();
        }
    }
    std::uint32_t value() {
        flush();
        return crc_;
    }

private:
    void flush() {
        crc_ = crc32(out_.bytes(), crc_);
        out_.bytes().clear();
    }
    BinaryWriter out_;
    std::uint32_t crc_ = 0;
};

// Enough of a dataset to tell another one apart: its shape and a CRC-32 of every value
// (features, labels, row weights, batching metadata).
template <class T>
std::string data_text(const Dataset<T>& d) {
    DataCrc crc;
    crc.add<T>(d.x);
    for (const auto& y : d.labels) crc.add<T>(y);
    for (const auto& w : d.weights) crc.add<T>(w);
    crc.add<double>(d.order_key);
    crc.add<int>(d.group);
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc.value());
    return std::to_string(d.rows) + " rows of " + std::to_string(d.features) + " features, CRC-32 " + hex;
}

}  // namespace

template <class T>
void Trainer<T>::State::make_identity() {
    static const char* activations[] = {"relu", "leaky_relu", "gelu", "tanh"};
    static const char* inits[] = {"he_xavier", "fan_in_uniform", "xavier"};
    static const char* archs[] = {"hps", "mmoe", "cgc", "ple"};
    static const char* batchings[] = {"shuffle", "ordered", "grouped", "mixed"};
    static const char* optimizers[] = {"sgd", "adam", "adamw"};
    static const char* schedules[] = {"constant", "cosine", "step"};
    const ModelSpec& m = model.spec();
    auto number = [](double x) { return detail::exact_text(x); };
    std::string options;
    for (const std::string& o : strategy.options()) options += (options.empty() ? "" : " ") + o;
    identity = {
        {"precision", std::is_same_v<T, float> ? "float" : "double"},
        {"model.inputs", std::to_string(m.inputs)},
        {"model.trunk", joined(m.trunk)},
        {"model.activation", activations[int(m.activation)]},
        {"model.dropout", number(m.dropout)},
        {"model.tasks", tasks_text(m.tasks)},
        {"model.main_task", std::to_string(m.main_task)},
        {"model.init", inits[int(m.init)]},
        {"model.arch", archs[int(m.arch)]},
        {"model.experts", std::to_string(m.experts)},
        {"model.task_experts", std::to_string(m.task_experts)},
        {"model.levels", std::to_string(m.levels)},
        {"strategy", strategy.name()},
        {"strategy.options", options},
        {"strategy.heads", strategy.heads() == Heads::own ? "own" : "weighted"},
        {"epochs", std::to_string(opt.epochs)},
        {"batch_size", std::to_string(opt.batch_size)},
        {"batching", batchings[int(opt.batching)]},
        {"mix_concentration", number(opt.mix_concentration)},
        {"seed", std::to_string(opt.seed)},
        {"optimizer", optimizers[int(opt.optimizer)]},
        {"lr", number(opt.lr)},
        {"momentum", number(opt.momentum)},
        {"weight_decay", number(opt.weight_decay)},
        {"schedule", schedules[int(opt.schedule)]},
        {"step_gamma", number(opt.step_gamma)},
        {"step_every", std::to_string(opt.step_every)},
        {"clip_norm", number(opt.clip_norm)},
        {"on_nan", opt.on_nan == NanPolicy::stop ? "stop" : "skip"},
        {"patience", std::to_string(opt.patience)},
        {"restore_best", opt.restore_best ? "true" : "false"},
    };
    identity.insert(identity.end(), opt.checkpoint_identity.begin(), opt.checkpoint_identity.end());
}

template <class T>
void Trainer<T>::State::start_epoch() {
    Progress& p = progress;
    p.batch = 0;
    p.seconds = 0;
    p.report = EpochReport{};
    p.report.epoch = epoch;
    p.report.train_loss.assign(std::size_t(K), 0.0);
    p.report.mean_coefficients.assign(std::size_t(K), 0.0);
    p.labelled.assign(std::size_t(K), 0.0);
    p.skipped_before = skipped;
}

template <class T>
void Trainer<T>::State::visit_state(detail::CheckpointVisitor& v) {
    v.section("model");
    for (ad::Parameter<T>* p : params()) v(p->name(), std::span<T>(p->value().data(), p->size()));
    v.section("optimizer");
    optimizer->visit_state(v);
    v.section("strategy " + strategy.name());
    strategy.visit_state(v);

    v.section("trainer");
    v("steps", steps);
    v("skipped_steps", skipped);
    v("epoch", epoch);
    v("held_out_rng", rng);
    tape.visit_state(v);
    v.section("side tape");  // look-aheads and held-out gradients: no dropout, but a tape has an Rng
    side_tape.visit_state(v);
    v.section("tracked gradients");
    for (std::size_t i = 0; i < tracked.size(); ++i) v(params()[i]->name(), std::span<T>(tracked[i]));

    v.section("epoch in progress");
    Progress& p = progress;
    v("batch", p.batch);
    v("seconds", p.seconds);
    v("skipped_before", p.skipped_before);
    v("train_loss", p.report.train_loss);
    v("mean_coefficients", p.report.mean_coefficients);
    v("labelled", p.labelled);
    if (v.loading()) p.report.epoch = epoch;

    v.section("epochs done");
    // An optional as a flag and a value (0 when absent).
    auto optional = [&](std::string_view name, std::optional<double>& x) {
        bool has = x.has_value();
        double value = x.value_or(0.0);
        v(std::string(name) + " given", has);
        v(name, value);
        x = has ? std::optional<double>(value) : std::nullopt;
    };
    v("best_epoch", p.result.best_epoch);
    optional("best_validation_metric", p.result.best_validation_metric);
    v("since_best", p.since_best);
    bool has_best = !p.best.empty();
    v("best parameters kept", has_best);
    if (v.loading()) p.best = has_best ? model.snapshot() : std::vector<std::vector<T>>{};
    for (std::size_t i = 0; i < p.best.size(); ++i) v("best " + params()[i]->name(), std::span<T>(p.best[i]));
    // The reports are read one at a time: however many a corrupt count claims, the bytes
    // run out first.
    int done = int(p.result.epochs.size());
    v("epochs", done);
    if (v.loading()) p.result.epochs.clear();
    for (int e = 0; e < done; ++e) {
        if (v.loading()) p.result.epochs.emplace_back();
        EpochReport& r = p.result.epochs[std::size_t(e)];
        if (v.loading()) r.train_loss.resize(std::size_t(K)), r.mean_coefficients.resize(std::size_t(K));
        v("epoch", r.epoch);
        v("seconds", r.seconds);
        v("train_loss", r.train_loss);
        v("mean_coefficients", r.mean_coefficients);
        optional("validation_metric", r.validation_metric);
        v("best", r.best);
        v("skipped_steps", r.skipped_steps);
    }
}

template <class T>
void Trainer<T>::State::begin_fit(const Dataset<T>& train, const Dataset<T>* validation) {
    // The data's CRC costs a pass over it: only where a checkpoint needs it.
    data.clear();
    if (opt.checkpoint_every > 0 || opt.checkpoint_epochs || resumed_data)
        data = {{data_keys[0], data_text(train)}, {data_keys[1], validation ? data_text(*validation) : "none"}};
    if (resumed_data) {
        for (const auto& [key, value] : data) {
            std::string theirs = "not recorded";
            for (const auto& kv : *resumed_data)
                if (kv.first == key) theirs = kv.second;
            if (theirs != value)
                throw DataError(resumed_from, 0, "", "the checkpoint belongs to a run on other data: its " + key + " is " + theirs + ", this run's " + value);
        }
        resumed_data.reset();
        return;
    }
    epoch = 0;
    progress = Progress{};
    start_epoch();
}

template <class T>
void Trainer<T>::State::save_checkpoint() {
    detail::Identity id = identity;
    id.insert(id.end(), data.begin(), data.end());
    detail::CheckpointWriter out(id);
    visit_state(out);
    opt.on_checkpoint(out.bytes());
}

template <class T>
CheckpointPosition Trainer<T>::resume(std::string_view bytes, const std::string& source) {
    State& s = *s_;
    detail::CheckpointReader in(bytes, source);
    in.require_identity(s.identity, data_keys);
    // Loading writes as it reads: on a failure, the state saved here goes back.
    detail::CheckpointWriter before(s.identity);
    s.visit_state(before);
    try {
        s.visit_state(in);
        in.finish();
        // What fit() indexes with: a checkpoint is always taken inside the run.
        if (s.epoch < 0 || s.epoch >= s.opt.epochs || s.progress.batch < 0 || int(s.progress.result.epochs.size()) != s.epoch)
            in.fail("epoch " + std::to_string(s.epoch) + ", batch " + std::to_string(s.progress.batch) + " after " +
                    std::to_string(s.progress.result.epochs.size()) + " epochs is no point of a run of " + std::to_string(s.opt.epochs) + " epochs");
    } catch (...) {
        const std::string saved = before.bytes();
        detail::CheckpointReader back(saved, "the trainer's state before resume()");
        s.visit_state(back);
        throw;
    }
    s.resumed_data = detail::Identity{};
    for (const auto& kv : in.identity())
        if (std::find(data_keys.begin(), data_keys.end(), kv.first) != data_keys.end()) s.resumed_data->push_back(kv);
    s.resumed_from = source;
    return {s.epoch, s.progress.batch, s.steps};
}

#define HYDA_CHECKPOINT_INSTANTIATE(T)                                                                    \
    template void Trainer<T>::State::make_identity();                                                     \
    template void Trainer<T>::State::start_epoch();                                                       \
    template void Trainer<T>::State::visit_state(detail::CheckpointVisitor&);                             \
    template void Trainer<T>::State::begin_fit(const Dataset<T>&, const Dataset<T>*);                     \
    template void Trainer<T>::State::save_checkpoint();                                                   \
    template CheckpointPosition Trainer<T>::resume(std::string_view, const std::string&);
HYDA_CHECKPOINT_INSTANTIATE(float)
HYDA_CHECKPOINT_INSTANTIATE(double)
#undef HYDA_CHECKPOINT_INSTANTIATE

}  // namespace hyda::mtl
