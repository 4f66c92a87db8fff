#pragma once
// How the hyda command ends, and the error that means "the user asked for something
// that cannot be" (as opposed to bad data, hyda::mtl::DataError, or a failure of ours).
#include <stdexcept>

namespace hyda::cli {

enum ExitCode : int {
    exit_ok = 0,
    exit_internal = 1,  // anything unexpected: a bug, a diverged model, a full disk
    exit_usage = 2,     // a bad command line: unknown option, bad value, unknown method
    exit_bad_data = 3,  // a data file hyda cannot use (hyda::mtl::DataError)
};

// A bad option value found after parsing (a method the library does not know, fractions
// that do not add up): exits with exit_usage.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace hyda::cli
