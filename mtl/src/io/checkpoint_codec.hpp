#pragma once
// Internal: the bytes of a training checkpoint (docs/checkpoints.md). A header (magic,
// format version, payload size, the payload's CRC-32), then the payload: the identity of
// the run it belongs to (key/value texts), then the state as the trainer visits it
// (autodiff/state.hpp), in sections. Every field carries its kind and name, so that a
// load checks it reads what was saved and names the field where it does not.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyda/autodiff/state.hpp"
#include "hyda/mtl/binary_io.hpp"

namespace hyda::mtl::detail {

// What a checkpoint must match to be resumed: (key, value) texts, e.g. ("lr", "0.001").
using Identity = std::vector<std::pair<std::string, std::string>>;

// A double as the shortest text that reads back as the same double.
std::string exact_text(double x);

// What precedes each field's value: what it is.
enum class FieldKind : std::uint8_t { section = 0, flag = 1, int32 = 2, int64 = 3, uint64 = 4, float64 = 5, float32_array = 6, float64_array = 7 };

// A state visitor that also marks sections (model, optimizer, strategy, trainer).
class CheckpointVisitor : public ad::StateVisitor {
public:
    using ad::StateVisitor::operator();
    virtual void section(std::string_view name) = 0;
};

class CheckpointWriter final : public CheckpointVisitor {
public:
    explicit CheckpointWriter(const Identity& identity);

    bool loading() const override { return false; }
    void section(std::string_view name) override;
    void operator()(std::string_view name, bool& v) override;
    void operator()(std::string_view name, int& v) override;
    void operator()(std::string_view name, std::int64_t& v) override;
    void operator()(std::string_view name, std::uint64_t& v) override;
    void operator()(std::string_view name, double& v) override;
    void operator()(std::string_view name, std::span<float> v) override;
    void operator()(std::string_view name, std::span<double> v) override;
    void resizable(std::string_view name, std::vector<double>& v) override;

    // The checkpoint: header and payload.
    std::string bytes() const;

private:
    void field(FieldKind kind, std::string_view name);

    BinaryWriter payload_;
};

class CheckpointReader final : public CheckpointVisitor {
public:
    // Checks the header and the CRC and reads the identity; throws DataError naming
    // `source` and what is wrong. `bytes` must outlive the reader.
    CheckpointReader(std::string_view bytes, std::string source);

    const Identity& identity() const { return identity_; }
    // Throws DataError naming the first key whose value differs from `mine`'s (or that only
    // one of them has), leaving out the keys in `except`.
    void require_identity(const Identity& mine, const std::vector<std::string>& except = {}) const;

    bool loading() const override { return true; }
    void section(std::string_view name) override;
    void operator()(std::string_view name, bool& v) override;
    void operator()(std::string_view name, int& v) override;
    void operator()(std::string_view name, std::int64_t& v) override;
    void operator()(std::string_view name, std::uint64_t& v) override;
    void operator()(std::string_view name, double& v) override;
    void operator()(std::string_view name, std::span<float> v) override;
    void operator()(std::string_view name, std::span<double> v) override;
    void resizable(std::string_view name, std::vector<double>& v) override;

    // Throws unless every byte was read.
    void finish();
    // Throws DataError naming the source, the current section and `what`.
    [[noreturn]] void fail(const std::string& what) const;

private:
    void field(FieldKind kind, std::string_view name);
    template <class V>
    void fixed_array(FieldKind kind, std::string_view name, std::span<V> v);

    BinaryReader in_;
    std::string section_;
    Identity identity_;
};

}  // namespace hyda::mtl::detail
