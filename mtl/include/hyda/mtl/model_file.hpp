#pragma once
// A trained model on disk, with everything needed to predict on a raw CSV file: the
// precision, the architecture and tasks (ModelSpec), the fitted preprocessing, the
// parameters, and an opaque metadata string (the hyda command keeps its training record
// there as JSON). The bytes are hyda model format version 2, documented in
// docs/model-format.md: magic, version, length, body, CRC-32; little-endian on any host.
//
// Loading trusts nothing in the file: a truncated, corrupt, foreign, wrong-version or
// hostile file raises a DataError naming the file and what is wrong, and the memory a load
// takes is bounded by a small multiple of the file's size (every count is checked against
// the bytes present, and the model's size against the values present before it is built).
//
// Predictor is a loaded model for inference: immutable, so any number of threads may call
// its const methods at once.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "hyda/kernels/export.hpp"
#include "hyda/mtl/model.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/table.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

enum class Precision { float32, float64 };

struct ModelFile {
    Precision precision = Precision::float32;
    ModelSpec spec;
    // So that the model predicts on a raw CSV. An empty one (no features, no targets) is
    // allowed: the model then takes encoded inputs only (Predictor::predict_inputs).
    Preprocessor preprocessor;
    struct Parameter {
        std::string name;
        int rows = 0, cols = 0;
        std::vector<double> values;  // row-major; a float32 file stores them as float, exactly
    };
    std::vector<Parameter> parameters;  // in Model::parameters() order
    std::string metadata;               // opaque to mtl
};

// What a model file may hold; more is refused when saving and when loading
// (docs/model-format.md, Limits). Sizes of layers, tensors and the file as a whole are
// bounded by the values the file holds.
inline constexpr std::uint64_t max_model_file_bytes = std::uint64_t(1) << 32;  // 4 GiB
inline constexpr std::uint64_t max_model_text_bytes = std::uint64_t(1) << 20;  // a name, column, level or positive value
inline constexpr std::uint64_t max_model_metadata_bytes = std::uint64_t(1) << 26;
inline constexpr std::uint64_t max_model_layers = 1024;                        // trunk or head layers
inline constexpr std::uint64_t max_model_items = std::uint64_t(1) << 24;        // features, levels of a column, parameters

// The bytes of a model file. Throws std::invalid_argument naming what a loader would
// refuse (see check_model_file): a file that saves loads.
std::string encode_model(const ModelFile& file);
// The model file in `bytes`; throws DataError naming `source` and what is wrong. Accepts
// exactly what check_model_file accepts, so model_of succeeds on its result unless a
// parameter's name or shape differs from the model's.
ModelFile decode_model(std::string_view bytes, const std::string& source);
// encode_model, written atomically (write_atomically): a failed save leaves the previous
// file. Throws std::invalid_argument (a file that would not load) or std::runtime_error
// naming the file.
void save_model(const std::string& path, const ModelFile& file);
// decode_model of the file's bytes (at most max_model_file_bytes, checked before reading).
ModelFile load_model(const std::string& path);

// Throws std::invalid_argument naming what is wrong: the spec invalid
// (ModelSpec::validate); the preprocessor, unless empty, not matching the spec (input
// width; per task the kind, and for multiclass the class count of its levels); a level
// list not sorted and distinct; a mean or scale not finite or a scale not > 0; the
// parameters not as many tensors and values as the spec's model has (parameter_count),
// a shape not matching its values, a value not finite; a limit above exceeded.
void check_model_file(const ModelFile& file);

template <class T>
constexpr Precision precision_of() {
    return std::is_same_v<T, float> ? Precision::float32 : Precision::float64;
}

// The file of a model: its precision, spec and parameters, with `pre` and `metadata`.
template <class T>
HYDA_EXPORT ModelFile model_file_of(const Model<T>& model, const Preprocessor& pre, std::string metadata);
// The model the file describes. Throws DataError naming `source` if the file's precision
// is not T's, or a parameter's name or shape is not the model's (checked after
// check_model_file, which bounds the model built).
template <class T>
HYDA_EXPORT Model<T> model_of(const ModelFile& file, const std::string& source);

// An immutable loaded model; every const method is safe to call from many threads at once.
class Predictor {
public:
    // Builds the model in the file's precision; DataError naming `source` on a mismatch.
    Predictor(ModelFile file, const std::string& source);
    static Predictor load(const std::string& path);

    // The spec, preprocessor and metadata; its parameters are dropped once the model is built.
    const ModelFile& file() const { return file_; }
    int inputs() const { return file_.spec.inputs; }  // encoded input width

    // Per task, rows x outputs row-major, in the targets' own units: binary P(positive),
    // multiclass one probability per class (in the order of the preprocessor's levels),
    // regression in the target column's units (Preprocessor::to_target_units; without a
    // preprocessor, the model's own). Exactly the numbers `hyda predict` prints.
    //
    // The rows `rows` of a raw table, encoded by the preprocessor (target columns are not
    // read). Throws DataError as Preprocessor::transform, std::invalid_argument if the
    // model has no preprocessor.
    std::vector<std::vector<double>> predict(const Table& table, std::span<const int> rows) const;
    // Inputs already encoded, rows x inputs() row-major. Read where they are if they have
    // the model's precision; else converted first (a float64 model widens floats, so its
    // result equals predict's only for inputs that are floats; a float32 model rounds
    // doubles to float, as its training data was). Throws std::invalid_argument unless
    // rows >= 0 and x holds rows x inputs() values.
    std::vector<std::vector<double>> predict_inputs(std::span<const float> x, int rows) const;
    std::vector<std::vector<double>> predict_inputs(std::span<const double> x, int rows) const;

private:
    template <class X>
    std::vector<std::vector<double>> predict_encoded(std::span<const X> x, int rows) const;

    ModelFile file_;
    std::variant<Model<float>, Model<double>> model_;
};

}  // namespace hyda::mtl
#pragma GCC visibility pop
