#pragma once
// A trained model on disk, with everything needed to predict on a raw CSV file: the
// model's shape, its parameters, the fitted preprocessing, and how it was trained (the
// data file, its size, the split and the seed, so that its train/validation/test rows
// can be found again). JSON:
//   {"format": "hyda-model", "version": 1, "precision": "float" | "double",
//    "model": ModelSpec, "preprocessor": Preprocessor,
//    "parameters": [{"name", "rows", "cols", "values": row-major}],
//    "training": {"data": {...the data options...}, "data_rows", "data_bytes",
//                 "setup": {...}, "method": {...}, "test_metrics": {...}}}
// Numbers are written with the shortest text that reads back as the same double, so a
// float or double parameter reloads bit for bit.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hyda/mtl/model.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "options.hpp"

namespace hyda::cli {

struct TrainingRecord {
    DataOptions data;
    std::int64_t data_rows = 0;
    std::uintmax_t data_bytes = 0;
    TrainingSetup setup;
    Method method;
    nlohmann::json test_metrics = nlohmann::json::object();
};

struct ModelFile {
    struct Parameter {
        std::string name;
        int rows = 0, cols = 0;
        std::vector<double> values;  // row-major
    };
    std::string precision = "float";
    mtl::ModelSpec spec;
    mtl::Preprocessor preprocessor;
    std::vector<Parameter> parameters;
    TrainingRecord training;
};

template <class T>
std::vector<ModelFile::Parameter> parameters_of(const mtl::Model<T>& model);
// The model the file describes; throws mtl::DataError naming `source` and the
// parameter whose name or shape does not fit the spec.
template <class T>
mtl::Model<T> model_of(const ModelFile& file, const std::string& source);

// Writes PATH.tmp in the same directory, then renames it to PATH: a failed save leaves no
// half-written model. Throws std::runtime_error naming the file.
void save_model(const std::string& path, const ModelFile& file);
// Throws mtl::DataError naming the file and what is wrong with it (a model file is
// input data: a corrupt one exits with the bad-data code).
ModelFile load_model(const std::string& path);

}  // namespace hyda::cli
