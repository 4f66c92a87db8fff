// Inference on a loaded model. Nothing here writes to the Predictor: each call records on
// its own tape (mtl::predict), and Model::forward only reads the parameters.
#include <algorithm>
#include <stdexcept>

#include "../predict_rows.hpp"
#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/trainer.hpp"

namespace hyda::mtl {
namespace {

std::variant<Model<float>, Model<double>> build(const ModelFile& file, const std::string& source) {
    if (file.precision == Precision::float64) return model_of<double>(file, source);
    return model_of<float>(file, source);
}

// mtl::predict's probabilities and standardized values, with regression outputs taken
// back to their target's units (a multiclass task's probabilities have none).
std::vector<std::vector<double>> in_target_units(std::vector<std::vector<double>> out, const Preprocessor& pre) {
    for (std::size_t k = 0; k < pre.targets.size(); ++k)
        if (pre.targets[k].kind != TargetKind::multiclass)
            for (double& v : out[k]) v = pre.to_target_units(int(k), v);
    return out;
}

}  // namespace

Predictor::Predictor(ModelFile file, const std::string& source) : file_(std::move(file)), model_(build(file_, source)) {
    file_.parameters = {};  // the model holds them now
}

Predictor Predictor::load(const std::string& path) { return Predictor(load_model(path), path); }

std::vector<std::vector<double>> Predictor::predict(const Table& table, std::span<const int> rows) const {
    if (file_.preprocessor.features.empty())
        throw std::invalid_argument("Predictor::predict: the model has no preprocessor to encode a table (predict_inputs takes encoded inputs)");
    // Encoded a chunk of rows at a time: memory stays bounded by the chunk, not rows x
    // inputs of the whole table (a wide one-hot encoding of a large file). A multiple of
    // mtl::predict's own chunk, so the numbers are those of one call on every row.
    constexpr std::size_t chunk = 4096;
    std::vector<std::vector<double>> out(file_.spec.tasks.size());
    for (std::size_t start = 0; start < rows.size(); start += chunk) {
        const std::span<const int> part = rows.subspan(start, std::min(chunk, rows.size() - start));
        const auto predicted = std::visit(
            [&]<class T>(const Model<T>& model) { return in_target_units(mtl::predict(model, file_.preprocessor.transform<T>(table, part, false)), file_.preprocessor); },
            model_);
        for (std::size_t k = 0; k < out.size(); ++k) out[k].insert(out[k].end(), predicted[k].begin(), predicted[k].end());
    }
    return out;
}

template <class X>
std::vector<std::vector<double>> Predictor::predict_encoded(std::span<const X> x, int rows) const {
    if (rows < 0 || x.size() != std::size_t(rows) * std::size_t(inputs()))
        throw std::invalid_argument("Predictor::predict_inputs: " + std::to_string(x.size()) + " values for " + std::to_string(rows) + " rows of " +
                                    std::to_string(inputs()) + " inputs");
    return std::visit(
        [&]<class T>(const Model<T>& model) {
            if constexpr (std::is_same_v<T, X>) {
                return in_target_units(detail::predict_rows(model, x.data(), rows), file_.preprocessor);
            } else {
                const std::vector<T> converted(x.begin(), x.end());
                return in_target_units(detail::predict_rows(model, converted.data(), rows), file_.preprocessor);
            }
        },
        model_);
}

std::vector<std::vector<double>> Predictor::predict_inputs(std::span<const float> x, int rows) const { return predict_encoded(x, rows); }
std::vector<std::vector<double>> Predictor::predict_inputs(std::span<const double> x, int rows) const { return predict_encoded(x, rows); }

}  // namespace hyda::mtl
