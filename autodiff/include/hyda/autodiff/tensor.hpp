#pragma once
// An owning, row-major matrix of float or double (a vector is 1 x n or n x 1; a batch
// of feature vectors is rows = samples, cols = features).
//
// Copies are independent (deep). A moved-from tensor is empty, [0 x 0]. Every mutator
// gives the strong guarantee: if it throws, the tensor is unchanged.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

// "[rows x cols]", for error messages.
inline std::string shape_string(int rows, int cols) { return "[" + std::to_string(rows) + " x " + std::to_string(cols) + "]"; }

template <class T>
class Tensor {
public:
    Tensor() = default;
    Tensor(int rows, int cols, T fill = T(0)) : rows_(rows), cols_(cols), data_(checked_size(rows, cols), fill) {}

    Tensor(const Tensor&) = default;
    Tensor(Tensor&& other) noexcept
        : rows_(std::exchange(other.rows_, 0)), cols_(std::exchange(other.cols_, 0)), data_(std::move(other.data_)) {}
    Tensor& operator=(const Tensor& other) {
        if (this != &other) {
            data_ = other.data_;  // first: if the copy throws, the shape is still ours
            rows_ = other.rows_;
            cols_ = other.cols_;
        }
        return *this;
    }
    Tensor& operator=(Tensor&& other) noexcept {
        if (this != &other) {
            data_ = std::move(other.data_);
            rows_ = std::exchange(other.rows_, 0);
            cols_ = std::exchange(other.cols_, 0);
        }
        return *this;
    }

    int rows() const { return rows_; }
    int cols() const { return cols_; }
    std::size_t size() const { return data_.size(); }
    T* data() { return data_.data(); }
    const T* data() const { return data_.data(); }
    T& operator()(int r, int c) { return data_[std::size_t(r) * cols_ + c]; }
    const T& operator()(int r, int c) const { return data_[std::size_t(r) * cols_ + c]; }

    // Changes the shape; keeps the storage when it is large enough (no allocation).
    // Throws std::invalid_argument for a negative shape or one too large to hold.
    void resize(int rows, int cols) {
        data_.resize(checked_size(rows, cols));  // first: the shape changes only once the storage has
        rows_ = rows;
        cols_ = cols;
    }

private:
    // rows * cols, checked before anything changes.
    static std::size_t checked_size(int rows, int cols) {
        if (rows < 0 || cols < 0) throw std::invalid_argument("Tensor: negative shape " + shape_string(rows, cols));
        const std::size_t most = std::vector<T>().max_size();
        if (cols != 0 && std::size_t(rows) > most / std::size_t(cols)) {
            throw std::invalid_argument("Tensor: shape " + shape_string(rows, cols) + " has more elements than a vector can hold");
        }
        return std::size_t(rows) * std::size_t(cols);
    }

    int rows_ = 0, cols_ = 0;
    std::vector<T> data_;
};

}  // namespace hyda::ad
#pragma GCC visibility pop
