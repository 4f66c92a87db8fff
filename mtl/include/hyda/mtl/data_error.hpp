#pragma once
// The error every data problem raises: a malformed or unusable CSV file, a column that is
// missing or of the wrong type, a value a target cannot take. Its message names the file,
// and where it applies the line and the column, so that a user can open the file there:
//     data.csv:17: column 'age': "abc" is not a number
// The command-line tool exits with its bad-data code on this error.
#include <cstdint>
#include <stdexcept>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

class DataError : public std::runtime_error {
public:
    // line 0: no line (the file as a whole); column empty: no column.
    DataError(const std::string& file, std::int64_t line, const std::string& column, const std::string& what);

    const std::string& file() const { return file_; }
    std::int64_t line() const { return line_; }
    const std::string& column() const { return column_; }

private:
    std::string file_;
    std::int64_t line_;
    std::string column_;
};

}  // namespace hyda::mtl
#pragma GCC visibility pop
