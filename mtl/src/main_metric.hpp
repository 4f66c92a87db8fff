#pragma once
// Private: the main metric as fit() follows it, on validation data it checked once.
#include <optional>
#include <string>

#include "hyda/mtl/trainer.hpp"

namespace hyda::mtl::detail {

// Why task `task`'s main metric is undefined on the labels of `data`, or nullopt.
template <class T>
std::optional<std::string> main_metric_undefined(const ModelSpec& spec, const Dataset<T>& data, int task);

// main_metric() on data already validated; `what` names the data in the error thrown
// for a prediction that is not finite.
template <class T>
std::optional<double> main_metric_of_valid(const Model<T>& model, const Dataset<T>& data, int task, const std::string& what);

}  // namespace hyda::mtl::detail
