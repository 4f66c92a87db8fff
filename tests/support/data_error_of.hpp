#pragma once
// The DataError that f throws (a failed check if it throws nothing or something else), for
// tests that check which file, line and column an error names.
#include <catch2/catch.hpp>

#include <functional>

#include "hyda/mtl/data_error.hpp"

namespace hyda::test {

inline mtl::DataError data_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const mtl::DataError& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL_CHECK("expected DataError, got another exception: " << e.what());
        return {"", 0, "", ""};
    }
    FAIL_CHECK("expected DataError, nothing was thrown");
    return {"", 0, "", ""};
}

}  // namespace hyda::test
