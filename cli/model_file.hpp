#pragma once
// The hyda command's model files: mtl's model format (docs/model-format.md), whose
// metadata holds how the model was trained, as JSON: the data file, its size, the split
// and the seed (so that its train/validation/test rows can be found again), the training
// setup, the method and the test metrics:
//   {"data": {...the data options...}, "data_rows", "data_bytes",
//    "setup": {...}, "method": {...}, "test_metrics": {...}}
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "hyda/mtl/model_file.hpp"
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

// The metadata of a model file the command saves.
std::string training_metadata(const TrainingRecord& record);
// The record in a model file's metadata. Throws mtl::DataError naming `source` if there is
// none (a model saved by another program) or it is damaged: a model file is input data,
// and a bad one exits with the bad-data code.
TrainingRecord training_record(const mtl::ModelFile& file, const std::string& source);

}  // namespace hyda::cli
