#pragma once
// Running the hyda command in-process, in a fresh temporary folder, on a small CSV file
// made here.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/model_file.hpp"
#include "run.hpp"
#include "temp_dir.hpp"

namespace cli_test {

struct Result {
    int code = -1;
    std::string out, err;
};

inline Result run_hyda(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    Result r;
    r.code = hyda::cli::run(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The training record `hyda train` keeps in a model file's metadata, as JSON.
inline nlohmann::json training_record_json(const std::string& model_path) { return nlohmann::json::parse(hyda::mtl::load_model(model_path).metadata); }

// `rows` rows: numeric features x1, x2 (x2 missing now and then), a categorical "color";
// targets "label" (yes/no, from x1 + x2 + color and noise), "score" (regression around 100,
// missing in some rows) and "grade" (A/B/C); an identifier "id" to drop.
inline std::string small_csv(int rows, std::uint64_t seed = 5) {
    hyda::ad::Rng rng(seed);
    const char* colors[] = {"red", "green", "blue"};
    const char* grades[] = {"A", "B", "C"};
    std::ostringstream csv;
    csv.precision(6);
    csv << "id,x1,x2,color,label,score,grade\n";
    for (int i = 0; i < rows; ++i) {
        const double x1 = rng.normal(), x2 = rng.normal();
        const int color = int(rng.below(3));
        const double latent = x1 + 0.5 * x2 + (color == 0 ? 0.7 : 0) + 0.5 * rng.normal();
        csv << "id" << i << ',' << x1 << ',';
        if (rng.below(10) != 0) csv << x2;
        csv << ',' << colors[color] << ',' << (latent > 0.3 ? "yes" : "no") << ',';
        if (rng.below(5) != 0) csv << 100 + 10 * (2 * x1 - x2) + 3 * rng.normal();
        csv << ',' << grades[latent < -0.5 ? 0 : latent < 0.8 ? 1 : 2] << '\n';
    }
    return csv.str();
}

// The options that make a run on small_csv() quick.
inline std::vector<std::string> small_task_options(const std::string& data) {
    return {"--data", data, "--main", "label=yes", "--aux", "score:regression", "--aux", "grade:multiclass", "--drop", "id",
            "--trunk", "16,8", "--batch", "32", "--epochs", "6", "--patience", "3"};
}

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace cli_test
