#include "data_setup.hpp"

#include <numeric>

#include "exit_codes.hpp"
#include "model_file.hpp"

namespace hyda::cli {

Parts split_rows(const mtl::Table& table, const DataOptions& o, std::uint64_t seed) {
    return mtl::stratified_split(table, data_spec(o).targets[0], o.split[0], o.split[1], seed);
}

template <class T>
Encoded<T> encode(const mtl::Preprocessor& pre, const mtl::Table& table, const Parts& parts) {
    return {pre.transform<T>(table, parts[0]), pre.transform<T>(table, parts[1]), pre.transform<T>(table, parts[2])};
}

template Encoded<float> encode(const mtl::Preprocessor&, const mtl::Table&, const Parts&);
template Encoded<double> encode(const mtl::Preprocessor&, const mtl::Table&, const Parts&);

std::vector<int> part_rows(const mtl::Table& table, const TrainingRecord& record, const std::string& part) {
    if (part == "all") {
        std::vector<int> rows(std::size_t(table.rows()));
        std::iota(rows.begin(), rows.end(), 0);
        return rows;
    }
    for (int p = 0; p < 3; ++p) {
        if (part != part_names[p]) continue;
        if (table.rows() != record.data_rows)
            throw UsageError("--part " + part + ": " + table.source + " has " + std::to_string(table.rows()) + " rows, the model was trained on " +
                             record.data.data + " with " + std::to_string(record.data_rows) + " (the split is re-derived from that file)");
        return split_rows(table, record.data, record.data.seed)[std::size_t(p)];
    }
    throw UsageError("--part: expected all, train, validation or test, got '" + part + "'");
}

}  // namespace hyda::cli
