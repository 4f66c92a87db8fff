// make_synth_table: the generative model documented in synth.hpp.
#include "hyda/mtl/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

#include "hyda/autodiff/random.hpp"

namespace hyda::mtl {

namespace {

constexpr std::array<std::string_view, 6> setting_names = {"related", "noise", "harmful", "drift", "drift_late", "subgroup"};

// The shared nonlinearity of both latents: mean 0 for t ~ N(0, 1), skewed.
double g(double t) { return t + 0.25 * (t * t - 1); }

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

void normalise(std::vector<double>& v) {
    double n = 0;
    for (double a : v) n += a * a;
    n = std::sqrt(n);
    for (double& a : v) a /= n;
}

// The drift window of a drift setting: the spec's, else the setting's default.
std::pair<double, double> drift_window(const SynthSpec& spec) {
    const bool late = spec.setting == SynthSetting::drift_late;
    return {spec.drift_start.value_or(late ? 0.6 : 0.1), spec.drift_end.value_or(late ? 0.9 : 0.4)};
}

// The angle between the auxiliary's direction and the main one for a row, in right
// angles (0 .. 2).
double theta(const SynthSpec& spec, double phase, bool in_group) {
    switch (spec.setting) {
        case SynthSetting::related: return 0;
        case SynthSetting::noise: return 1;  // unused: the labels are coin flips
        case SynthSetting::harmful: return 2;
        case SynthSetting::drift:
        case SynthSetting::drift_late: {
            const auto [start, end] = drift_window(spec);
            return std::clamp((phase - start) / (end - start), 0.0, 1.0);
        }
        case SynthSetting::subgroup: return in_group ? 0 : 1;
    }
    return 0;
}

// Cosine and sine of `q` right angles, exact at whole q: std::cos(pi / 2) is 6e-17, and
// the relatedness of an unrelated row is to read 0.
std::pair<double, double> cos_sin(double q) {
    if (q == 0) return {1, 0};
    if (q == 1) return {0, 1};
    if (q == 2) return {-1, 0};
    return {std::cos(q * std::numbers::pi / 2), std::sin(q * std::numbers::pi / 2)};
}

Column numeric(std::string name, int rows) {
    Column c;
    c.name = std::move(name);
    c.numbers.reserve(std::size_t(rows));
    return c;
}

}  // namespace

SynthSetting synth_setting(std::string_view name) {
    for (std::size_t i = 0; i < setting_names.size(); ++i)
        if (setting_names[i] == name) return SynthSetting(i);
    std::string known;
    for (std::string_view n : setting_names) known += (known.empty() ? "" : ", ") + std::string(n);
    throw std::invalid_argument("unknown synthetic setting '" + std::string(name) + "' (settings: " + known + ")");
}

std::string_view synth_setting_name(SynthSetting setting) { return setting_names.at(std::size_t(setting)); }

std::vector<std::string_view> synth_setting_names() { return {setting_names.begin(), setting_names.end()}; }

void SynthSpec::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw std::invalid_argument("synthetic data: " + what);
    };
    require(rows >= 1, "rows must be >= 1, got " + std::to_string(rows));
    require(features >= 2, "features must be >= 2, got " + std::to_string(features));
    require(std::isfinite(main_noise) && main_noise >= 0, "main_noise must be finite and >= 0, got " + std::to_string(main_noise));
    require(std::isfinite(aux_noise) && aux_noise >= 0, "aux_noise must be finite and >= 0, got " + std::to_string(aux_noise));
    const auto [start, end] = drift_window(*this);
    require(0 <= start && start < end && end <= 1,
            "the drift window must satisfy 0 <= drift_start < drift_end <= 1, got " + std::to_string(start) + ", " + std::to_string(end));
}

Table make_synth_table(const SynthSpec& spec) {
    spec.validate();
    const int F = spec.features;
    ad::Rng rng(spec.seed);
    std::vector<double> u(static_cast<std::size_t>(F)), w(static_cast<std::size_t>(F));
    for (double& a : u) a = rng.normal();
    normalise(u);
    for (double& a : w) a = rng.normal();
    const double along = dot(u, w);
    for (int f = 0; f < F; ++f) w[std::size_t(f)] -= along * u[std::size_t(f)];
    normalise(w);

    Table t;
    t.source = "synthetic " + std::string(synth_setting_name(spec.setting)) + " (seed " + std::to_string(spec.seed) + ")";
    for (int f = 0; f < F; ++f) t.columns.push_back(numeric("x" + std::to_string(f + 1), spec.rows));
    for (const char* name : {"group", "phase", "main", "aux", "noise", "relatedness_aux", "relatedness_noise"})
        t.columns.push_back(numeric(name, spec.rows));
    // The columns after the features, in the order pushed above.
    Column& group = t.columns[std::size_t(F)];
    Column& phase = t.columns[std::size_t(F) + 1];
    Column& main_label = t.columns[std::size_t(F) + 2];
    Column& aux = t.columns[std::size_t(F) + 3];
    Column& noise = t.columns[std::size_t(F) + 4];
    Column& relatedness_aux = t.columns[std::size_t(F) + 5];
    Column& relatedness_noise = t.columns[std::size_t(F) + 6];
    std::vector<double> x(static_cast<std::size_t>(F));
    for (int i = 0; i < spec.rows; ++i) {
        for (int f = 0; f < F; ++f) {
            x[std::size_t(f)] = rng.normal();
            t.columns[std::size_t(f)].numbers.push_back(x[std::size_t(f)]);
        }
        const bool in_group = rng.uniform() < 0.5;
        const double p = rng.uniform();
        const double main_latent = g(dot(u, x)) + spec.main_noise * rng.normal();
        const auto [c, s] = cos_sin(theta(spec, p, in_group));
        double vx = 0;
        for (int f = 0; f < F; ++f) vx += (c * u[std::size_t(f)] + s * w[std::size_t(f)]) * x[std::size_t(f)];
        const double aux_latent = g(vx) + spec.aux_noise * rng.normal();
        const bool aux_coin = rng.uniform() < 0.5, noise_coin = rng.uniform() < 0.5;
        const bool coin_aux = spec.setting == SynthSetting::noise;

        group.numbers.push_back(in_group);
        phase.numbers.push_back(p);
        main_label.numbers.push_back(main_latent > 0);
        aux.numbers.push_back(coin_aux ? aux_coin : aux_latent > 0);
        noise.numbers.push_back(noise_coin);
        relatedness_aux.numbers.push_back(coin_aux ? 0 : c);
        relatedness_noise.numbers.push_back(0);
        t.lines.push_back(std::int64_t(i) + 2);  // line 1 is the header
    }
    return t;
}

}  // namespace hyda::mtl
