#pragma once
// Private: mtl::predict on rows read where they are, so that the Predictor predicts on a
// caller's buffer (the C API's, a numpy array) without copying it into a Dataset.
#include <vector>

#include "hyda/mtl/model.hpp"

namespace hyda::mtl::detail {

// predict(model, data) for data.x = x (rows x model.spec().inputs, row-major), unchecked.
template <class T>
std::vector<std::vector<double>> predict_rows(const Model<T>& model, const T* x, int rows);

}  // namespace hyda::mtl::detail
