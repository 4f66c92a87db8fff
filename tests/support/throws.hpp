#pragma once
// The message of the std::invalid_argument that f throws ("" and a failed check if it
// throws nothing or something else), for tests that check what an error says.
#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <string>

namespace hyda::test {

inline std::string invalid_argument_message(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL_CHECK("expected std::invalid_argument, got another exception: " << e.what());
        return "";
    }
    FAIL_CHECK("expected std::invalid_argument, nothing was thrown");
    return "";
}

}  // namespace hyda::test
