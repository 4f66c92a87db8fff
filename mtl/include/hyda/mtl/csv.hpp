#pragma once
// Reading and writing CSV (RFC 4180): fields separated by commas, records by CRLF or LF;
// a field in double quotes may hold commas, line breaks and doubled quotes (""); a UTF-8
// byte-order mark at the start of the file is skipped. A line break is CRLF, LF or a lone
// CR, inside quotes too (where it is kept as it is, and counted as a line). A quote inside
// an unquoted field is kept as text. A NUL byte is an error (CSV is text; NULs mean a
// UTF-16 or binary file). The reader streams: it holds one record and a 64 KiB
// buffer at a time, so memory does not grow with the file, and it reads every byte once.
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

// Limits that keep a hostile or broken file from taking unbounded memory: past one, the
// reader throws DataError naming it, having read at most the limit and one buffer of the
// input (tests/mtl/input_limits_test.cpp: a 100 MB field, a million fields).
struct CsvLimits {
    std::size_t max_field_bytes = std::size_t(1) << 24;  // 16 MiB
    std::size_t max_fields = std::size_t(1) << 16;        // per record (a table's columns)
};

class CsvReader {
public:
    // Reads from `in`, which must outlive the reader; `source` names it in errors.
    CsvReader(std::istream& in, std::string source, CsvLimits limits = {});
    // Opens the file; throws DataError naming it if it cannot be opened.
    explicit CsvReader(const std::string& path, CsvLimits limits = {});
    ~CsvReader();

    // Reads the next record into `fields` (resized to its field count). Returns false at
    // the end of the input. Throws DataError naming the source and line for an
    // unterminated quote, a character after a closing quote, a NUL byte, or a record over
    // the limits.
    // A completely empty line is a record of one empty field. The strings of `fields`
    // are reused, so a loop over a file allocates only while records grow.
    bool next(std::vector<std::string>& fields);
    // The line (from 1) on which the last record read started.
    std::int64_t line() const { return record_line_; }
    const std::string& source() const { return source_; }
    // Names the fields by position (the header, once read), so that an error inside a
    // field names its column.
    void name_fields(std::vector<std::string> names) { names_ = std::move(names); }

private:
    bool fill();
    int peek();
    int take_until(std::string& field, char stop, bool quoted);
    int read_field(std::string& field);
    int line_break(char c);
    void append(std::string& field, const char* begin, const char* end, bool quoted) const;
    [[noreturn]] void fail(std::int64_t line, const std::string& what) const;

    std::unique_ptr<std::istream> owned_;
    std::istream* in_;
    std::string source_;
    CsvLimits limits_;
    std::vector<std::string> names_;
    std::vector<char> buffer_;
    std::size_t pos_ = 0, end_ = 0;  // the unread bytes are buffer_[pos_, end_)
    std::int64_t line_ = 1, record_line_ = 0;
    std::size_t field_ = 0;  // the field being read, for errors
    bool started_ = false;
};

// Appends `field` to `out` as one CSV field: quoted, with its quotes doubled, if it holds
// a comma, a quote, CR or LF, begins or ends with a space, or begins with a UTF-8
// byte-order mark (which a reader would skip as the file's own, were the field first in
// the file); as it is otherwise.
void append_csv_field(std::string& out, std::string_view field);

}  // namespace hyda::mtl
#pragma GCC visibility pop
