#pragma once
// Synthetic tables for the settings HydaLearn's claims are about: a binary main task, an
// auxiliary task whose relatedness to it is controlled per row, and a pure-noise one.
//
// Generative model (every draw from one hyda::ad::Rng seeded with `seed`):
//   directions  u = a standard normal vector of `features` values, normalised; w = another,
//               made orthogonal to u (Gram-Schmidt) and normalised. Drawn first.
//   per row, in this order of draws:
//     x ~ N(0, I)           columns x1 .. xF
//     s ~ Bernoulli(0.5)    column `group` (0/1), an input like x
//     phase ~ U(0, 1)       column `phase`: where the row sits along a drift
//     main latent = g(u.x) + main_noise * e1,  g(t) = t + 0.25 (t^2 - 1), e1 ~ N(0, 1)
//                           column `main` = 1[main latent > 0]; main_noise = 0.66 makes
//                           the oracle ROC AUC of the noiseless score g(u.x) about 0.90
//     aux latent = g(v.x) + aux_noise * e2,  v = cos(theta) u + sin(theta) w
//                           column `aux` = 1[aux latent > 0], theta by setting (below)
//     c1, c2 ~ U(0, 1)      coin flips: `aux` = 1[c1 < 0.5] in the noise setting,
//                           column `noise` = 1[c2 < 0.5] in every setting
//   Every row draws the same numbers in every setting, so for one seed the settings
//   share x, group, phase and main, and differ only in `aux`.
//   Ground truth per row: `relatedness_aux` = cos(theta) (0 for the noise setting's coin
//   flips), `relatedness_noise` = 0.
//
// Settings (theta per row):
//   related     0: the auxiliary shares the main task's signal
//   noise       aux labels are coin flips, independent of everything
//   harmful     180 degrees: the auxiliary's signal conflicts in sign with the main's
//   drift       0 for phase < drift_start (default 0.1), rising linearly to 90 degrees at
//               drift_end (default 0.4), then 90: related early, unrelated later when
//               the rows are visited in increasing phase
//   drift_late  the same with the defaults 0.6 and 0.9
//   subgroup    0 where group = 1, 90 degrees where group = 0
// At 90 degrees v is orthogonal to u, so the auxiliary label is independent of the main.
//
// Columns, in order: x1 .. xF, group, phase, main, aux, noise, relatedness_aux,
// relatedness_noise. All numbers (no missing fields); Table::lines says row i is line
// i + 2 of the CSV the table writes as.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hyda/mtl/table.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

enum class SynthSetting { related, noise, harmful, drift, drift_late, subgroup };

// The setting called `name` ("related", "noise", ...); throws std::invalid_argument
// listing the names for any other.
SynthSetting synth_setting(std::string_view name);
std::string_view synth_setting_name(SynthSetting setting);
std::vector<std::string_view> synth_setting_names();  // in declaration order

struct SynthSpec {
    SynthSetting setting = SynthSetting::related;
    int rows = 1000;
    int features = 20;  // >= 2: u and w need two dimensions
    std::uint64_t seed = 1;
    double main_noise = 0.66;  // oracle AUC about 0.90
    double aux_noise = 0.3;    // a low-noise auxiliary: its own oracle AUC about 0.98
    // The drift window in phase (drift settings only); unset: 0.1, 0.4 for drift and
    // 0.6, 0.9 for drift_late.
    std::optional<double> drift_start, drift_end;

    // Throws std::invalid_argument naming the first field out of range.
    void validate() const;
};

// The table of spec.rows rows described above, deterministic from spec.seed.
Table make_synth_table(const SynthSpec& spec);

}  // namespace hyda::mtl
#pragma GCC visibility pop
