#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl {

namespace {

// "file:line: column 'c': what", leaving out the line (0) and the column (empty) when absent.
std::string message(const std::string& file, std::int64_t line, const std::string& column, const std::string& what) {
    std::string m = file;
    if (line > 0) m += ':' + std::to_string(line);
    m += ": ";
    if (!column.empty()) m += "column '" + column + "': ";
    return m + what;
}

}  // namespace

DataError::DataError(const std::string& file, std::int64_t line, const std::string& column, const std::string& what)
    : std::runtime_error(message(file, line, column, what)), file_(file), line_(line), column_(column) {}

}  // namespace hyda::mtl
