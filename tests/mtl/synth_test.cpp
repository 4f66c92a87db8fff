// The synthetic settings, each checked for the property it is named for on samples large
// enough that the bounds sit several standard errors (1 / sqrt(rows)) from the values the
// model implies: correlations of the auxiliary label with the main one (a Pearson
// correlation of 0/1 labels), the ground-truth relatedness column against the drift
// formula written out by hand, and the oracle ROC AUC with the main direction recomputed
// from the draws synth.hpp documents. With the default noise, a fully related auxiliary's
// labels correlate with the main ones at about 0.6 (the main label's own noise, set for an
// oracle AUC of 0.9, caps it) and a harmful one's at about -0.55.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/metrics.hpp"
#include "hyda/mtl/synth.hpp"

using namespace hyda::mtl;

namespace {

// The numbers of the column called `name` (Table::column throws for an unknown one).
const std::vector<double>& column(const Table& t, const std::string& name) { return t.columns[std::size_t(t.column(name))].numbers; }

Table make(SynthSetting setting, int rows = 20000, std::uint64_t seed = 1) {
    SynthSpec spec;
    spec.setting = setting;
    spec.rows = rows;
    spec.seed = seed;
    return make_synth_table(spec);
}

// Pearson correlation of a and b over the rows where keep(row) holds.
double correlation(const std::vector<double>& a, const std::vector<double>& b, const std::function<bool(std::size_t)>& keep = {}) {
    double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (keep && !keep(i)) continue;
        n += 1;
        sa += a[i];
        sb += b[i];
        saa += a[i] * a[i];
        sbb += b[i] * b[i];
        sab += a[i] * b[i];
    }
    const double cov = sab / n - sa / n * sb / n;
    return cov / std::sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

double aux_main_correlation(const Table& t, const std::function<bool(std::size_t)>& keep = {}) {
    return correlation(column(t, "aux"), column(t, "main"), keep);
}

}  // namespace

TEST_CASE("synthetic settings by name", "[synth]") {
    const std::vector<std::string_view> names = synth_setting_names();
    REQUIRE(names.size() == 6);
    for (std::size_t i = 0; i < names.size(); ++i) {
        CHECK(synth_setting(names[i]) == SynthSetting(i));
        CHECK(synth_setting_name(SynthSetting(i)) == names[i]);
    }
    CHECK(synth_setting("drift_late") == SynthSetting::drift_late);
    CHECK_THROWS_WITH(synth_setting("drifty"), Catch::Contains("'drifty'") && Catch::Contains("related, noise, harmful, drift, drift_late, subgroup"));
}

TEST_CASE("synthetic table: columns, lines and value ranges", "[synth]") {
    SynthSpec spec;
    spec.setting = SynthSetting::subgroup;
    spec.rows = 300;
    spec.features = 3;
    const Table t = make_synth_table(spec);
    std::vector<std::string> names;
    for (const Column& c : t.columns) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"x1", "x2", "x3", "group", "phase", "main", "aux", "noise", "relatedness_aux", "relatedness_noise"});
    REQUIRE(t.rows() == 300);
    for (int i = 0; i < 300; ++i) CHECK(t.lines[std::size_t(i)] == i + 2);
    for (const Column& c : t.columns) {
        INFO(c.name);
        REQUIRE(c.numbers.size() == 300);
        CHECK(c.codes.empty());  // numbers only: no codes
        CHECK(c.levels.empty());
        CHECK(std::all_of(c.numbers.begin(), c.numbers.end(), [](double v) { return std::isfinite(v); }));
    }
    for (const char* binary : {"group", "main", "aux", "noise"}) {
        const auto& v = column(t, binary);
        INFO(binary);
        CHECK(std::all_of(v.begin(), v.end(), [](double y) { return y == 0 || y == 1; }));
        CHECK(std::count(v.begin(), v.end(), 1.0) > 75);  // both values occur
        CHECK(std::count(v.begin(), v.end(), 0.0) > 75);
    }
    const auto& phase = column(t, "phase");
    CHECK(std::all_of(phase.begin(), phase.end(), [](double p) { return p >= 0 && p < 1; }));
    CHECK(column(t, "relatedness_noise") == std::vector<double>(300, 0.0));
}

TEST_CASE("synthetic main task: oracle ROC AUC about 0.9", "[synth]") {
    const Table t = make(SynthSetting::related);
    // u as synth.hpp draws it: the first `features` normals of Rng(seed), normalised.
    hyda::ad::Rng rng(1);
    std::vector<double> u(20);
    double norm = 0;
    for (double& a : u) {
        a = rng.normal();
        norm += a * a;
    }
    std::vector<double> score(20000, 0.0);
    for (int f = 0; f < 20; ++f) {
        const auto& x = column(t, "x" + std::to_string(f + 1));
        for (std::size_t i = 0; i < score.size(); ++i) score[i] += u[std::size_t(f)] / std::sqrt(norm) * x[i];
    }
    for (double& s : score) s += 0.25 * (s * s - 1);
    const double auc = roc_auc(score, column(t, "main"));
    CHECK(auc > 0.87);
    CHECK(auc < 0.93);
}

TEST_CASE("synthetic noise: the auxiliary labels are independent coin flips", "[synth]") {
    const Table t = make(SynthSetting::noise);
    CHECK(std::abs(aux_main_correlation(t)) < 0.03);
    const auto& aux = column(t, "aux");
    CHECK(std::abs(std::count(aux.begin(), aux.end(), 1.0) / 20000.0 - 0.5) < 0.02);
    CHECK(column(t, "relatedness_aux") == std::vector<double>(20000, 0.0));
}

TEST_CASE("synthetic related and harmful: the auxiliary shares the main signal, or opposes it", "[synth]") {
    const Table related = make(SynthSetting::related), harmful = make(SynthSetting::harmful);
    CHECK(aux_main_correlation(related) > 0.5);
    CHECK(column(related, "relatedness_aux") == std::vector<double>(20000, 1.0));
    CHECK(aux_main_correlation(harmful) < -0.45);
    CHECK(column(harmful, "relatedness_aux") == std::vector<double>(20000, -1.0));
    // The noise task is a coin flip in every setting.
    CHECK(std::abs(correlation(column(related, "noise"), column(related, "main"))) < 0.03);
    CHECK(std::abs(correlation(column(harmful, "noise"), column(harmful, "aux"))) < 0.03);
}

TEST_CASE("synthetic drift: related before the window, unrelated after it", "[synth]") {
    // drift: 0.1 .. 0.4 by default; drift_late 0.6 .. 0.9; and a window of our own.
    struct Case { SynthSetting setting; std::optional<double> start, end; double expect_start, expect_end; };
    const Case c = GENERATE(Case{SynthSetting::drift, {}, {}, 0.1, 0.4}, Case{SynthSetting::drift_late, {}, {}, 0.6, 0.9},
                            Case{SynthSetting::drift, 0.3, 0.5, 0.3, 0.5});
    SynthSpec spec;
    spec.setting = c.setting;
    spec.rows = 40000;
    spec.drift_start = c.start;
    spec.drift_end = c.end;
    const Table t = make_synth_table(spec);
    const auto& phase = column(t, "phase");
    const auto& relatedness = column(t, "relatedness_aux");
    for (std::size_t i = 0; i < phase.size(); ++i) {
        const double p = phase[i];
        const double expected = p < c.expect_start ? 1 : p >= c.expect_end ? 0 : std::cos((p - c.expect_start) / (c.expect_end - c.expect_start) * std::numbers::pi / 2);
        if (std::abs(relatedness[i] - expected) > 1e-12) FAIL("row " << i << " phase " << p << ": relatedness " << relatedness[i] << ", expected " << expected);
    }
    const double before = aux_main_correlation(t, [&](std::size_t i) { return phase[i] < c.expect_start; });
    const double after = aux_main_correlation(t, [&](std::size_t i) { return phase[i] > c.expect_end; });
    const double midway = aux_main_correlation(t, [&](std::size_t i) { return std::abs(phase[i] - (c.expect_start + c.expect_end) / 2) < 0.02; });
    INFO("before " << before << ", midway " << midway << ", after " << after);
    CHECK(before > 0.5);
    CHECK(std::abs(after) < 0.05);  // at least 4000 rows: 0.05 is over 3 standard errors
    CHECK(midway < before - 0.1);   // 45 degrees: in between
    CHECK(midway > after + 0.1);
}

TEST_CASE("synthetic subgroup: related inside the group only", "[synth]") {
    const Table t = make(SynthSetting::subgroup);
    const auto& group = column(t, "group");
    CHECK(aux_main_correlation(t, [&](std::size_t i) { return group[i] == 1; }) > 0.5);
    CHECK(std::abs(aux_main_correlation(t, [&](std::size_t i) { return group[i] == 0; })) < 0.04);  // ~10000 rows
    CHECK(column(t, "relatedness_aux") == group);
}

TEST_CASE("synthetic data: fixed by the seed; the settings share all but the auxiliary", "[synth]") {
    auto numbers = [](const Table& t) {
        std::vector<std::vector<double>> v;
        for (const Column& c : t.columns) v.push_back(c.numbers);
        return v;
    };
    const Table a = make(SynthSetting::drift, 500, 3);
    CHECK(numbers(a) == numbers(make(SynthSetting::drift, 500, 3)));
    CHECK(numbers(a) != numbers(make(SynthSetting::drift, 500, 4)));
    const Table b = make(SynthSetting::harmful, 500, 3);
    for (std::size_t k = 0; k < a.columns.size(); ++k) {
        const std::string& name = a.columns[k].name;
        INFO(name);
        if (name == "aux" || name == "relatedness_aux") CHECK(a.columns[k].numbers != b.columns[k].numbers);
        else CHECK(a.columns[k].numbers == b.columns[k].numbers);
    }
}

TEST_CASE("synthetic spec: out-of-range fields are refused", "[synth]") {
    SynthSpec spec;
    spec.rows = 0;
    CHECK_THROWS_WITH(make_synth_table(spec), Catch::Contains("rows must be >= 1"));
    spec = {};
    spec.features = 1;
    CHECK_THROWS_WITH(make_synth_table(spec), Catch::Contains("features must be >= 2"));
    spec = {};
    spec.aux_noise = -1;
    CHECK_THROWS_WITH(make_synth_table(spec), Catch::Contains("aux_noise"));
    spec = {};
    spec.setting = SynthSetting::drift;
    spec.drift_start = 0.5;
    spec.drift_end = 0.5;
    CHECK_THROWS_WITH(make_synth_table(spec), Catch::Contains("drift window"));
}

TEST_CASE("synthetic data: every column as synth.hpp documents it, redrawn here", "[synth]") {
    // The generative model written out again from the header's text alone (directions,
    // then per row x, group, phase, e1, e2, c1, c2), with non-default noise and features,
    // compared with the table column by column: any change to a formula, a default or the
    // order of draws shows here.
    const int F = 5, rows = 400;
    const double main_noise = 0.5, aux_noise = 0.2;
    for (const std::string_view name : synth_setting_names()) {
        INFO(name);
        SynthSpec spec;
        spec.setting = synth_setting(name);
        spec.rows = rows;
        spec.features = F;
        spec.seed = 11;
        spec.main_noise = main_noise;
        spec.aux_noise = aux_noise;
        const Table t = make_synth_table(spec);
        REQUIRE(t.columns.size() == std::size_t(F) + 7);

        hyda::ad::Rng rng(11);
        auto unit = [](std::vector<double> v) {
            double n = 0;
            for (double a : v) n += a * a;
            for (double& a : v) a /= std::sqrt(n);
            return v;
        };
        auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
            double s = 0;
            for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
            return s;
        };
        std::vector<double> u(F), w(F);
        for (double& a : u) a = rng.normal();
        u = unit(u);
        for (double& a : w) a = rng.normal();
        const double along = dot(u, w);
        for (int f = 0; f < F; ++f) w[std::size_t(f)] -= along * u[std::size_t(f)];
        w = unit(w);
        auto g = [](double s) { return s + 0.25 * (s * s - 1); };
        const bool late = name == "drift_late";
        const double start = late ? 0.6 : 0.1, end = late ? 0.9 : 0.4;
        for (int i = 0; i < rows; ++i) {
            const auto r = std::size_t(i);
            std::vector<double> x(F);
            for (int f = 0; f < F; ++f) {
                x[std::size_t(f)] = rng.normal();
                CHECK(t.columns[std::size_t(f)].numbers[r] == x[std::size_t(f)]);
            }
            const double group = rng.uniform() < 0.5, phase = rng.uniform();
            const double e1 = rng.normal(), e2 = rng.normal(), c1 = rng.uniform(), c2 = rng.uniform();
            double degrees = 0;  // theta
            if (name == "harmful") degrees = 180;
            if (name == "drift" || name == "drift_late") degrees = 90 * std::clamp((phase - start) / (end - start), 0.0, 1.0);
            if (name == "subgroup") degrees = group == 1 ? 0 : 90;
            const double c = std::cos(degrees * std::numbers::pi / 180), s = std::sin(degrees * std::numbers::pi / 180);
            std::vector<double> v(F);
            for (int f = 0; f < F; ++f) v[std::size_t(f)] = c * u[std::size_t(f)] + s * w[std::size_t(f)];
            const bool noise = name == "noise";
            const double expected[7] = {group, phase, double(g(dot(u, x)) + main_noise * e1 > 0),
                                        noise ? double(c1 < 0.5) : double(g(dot(v, x)) + aux_noise * e2 > 0), double(c2 < 0.5),
                                        noise ? 0 : c, 0};
            for (std::size_t k = 0; k < 7; ++k) {
                INFO("row " << i << ", column " << t.columns[std::size_t(F) + k].name);
                CHECK(std::abs(t.columns[std::size_t(F) + k].numbers[r] - expected[k]) <= 1e-12);
            }
        }
    }
}
