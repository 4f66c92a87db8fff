#include "hyda/mtl/csv.hpp"

#include <fstream>
#include <string_view>

#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl {

namespace {

constexpr std::size_t kBufferBytes = std::size_t(1) << 16;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // UTF-8

}  // namespace

CsvReader::CsvReader(std::istream& in, std::string source, CsvLimits limits)
    : in_(&in), source_(std::move(source)), limits_(limits), buffer_(kBufferBytes) {}

CsvReader::CsvReader(const std::string& path, CsvLimits limits)
    : owned_(std::make_unique<std::ifstream>(path, std::ios::binary)), in_(owned_.get()), source_(path), limits_(limits),
      buffer_(kBufferBytes) {
    if (!*owned_) throw DataError(path, 0, "", "cannot open the file for reading");
}

CsvReader::~CsvReader() = default;

// Refills the buffer once every byte of it has been read; false at the end of the input.
bool CsvReader::fill() {
    in_->read(buffer_.data(), std::streamsize(buffer_.size()));
    if (in_->bad()) throw DataError(source_, line_, "", "read error");
    pos_ = 0;
    end_ = std::size_t(in_->gcount());
    return end_ > 0;
}

int CsvReader::peek() {
    if (pos_ == end_ && !fill()) return EOF;
    return static_cast<unsigned char>(buffer_[pos_]);
}

// An error inside the field being read: names its column if the fields have names.
void CsvReader::fail(std::int64_t line, const std::string& what) const {
    throw DataError(source_, line, field_ < names_.size() ? names_[field_] : std::string(), what);
}

void CsvReader::append(std::string& field, const char* begin, const char* end, bool quoted) const {
    if (field.size() + std::size_t(end - begin) > limits_.max_field_bytes)
        fail(line_, "a field longer than " + std::to_string(limits_.max_field_bytes) + " bytes" + (quoted ? " (an unterminated quote?)" : ""));
    field.append(begin, end);
}

// Having read `c`, CR or LF, outside quotes: takes the LF of a CRLF too. Returns '\n'.
int CsvReader::line_break(char c) {
    if (c == '\r' && peek() == '\n') ++pos_;
    ++line_;
    return '\n';
}

// Appends the bytes up to the next `stop`, CR or LF (or the end of the input) to `field`,
// copying runs straight from the buffer, and consumes that byte: returns it, or EOF. A NUL
// byte is an error: CSV is text, and NULs mean a UTF-16 or binary file.
int CsvReader::take_until(std::string& field, char stop, bool quoted) {
    while (true) {
        if (pos_ == end_ && !fill()) return EOF;
        const char* begin = buffer_.data() + pos_;
        const char* end = buffer_.data() + end_;
        const char* p = begin;
        while (p != end && *p != stop && *p != '\n' && *p != '\r' && *p != '\0') ++p;
        append(field, begin, p, quoted);
        pos_ += std::size_t(p - begin);
        if (p == end) continue;
        const char c = buffer_[pos_++];
        if (c == '\0') fail(line_, "a NUL byte, which CSV text never holds (is the file UTF-16, or not text?)");
        return static_cast<unsigned char>(c);
    }
}

// Reads one field into `field` (empty on entry); returns what ended it: ',', '\n' for a
// line break, or EOF.
int CsvReader::read_field(std::string& field) {
    if (peek() == '"') {
        ++pos_;
        const std::int64_t opened = line_;
        while (true) {
            const int c = take_until(field, '"', true);
            if (c == EOF) fail(opened, "unterminated quote: the quoted field that starts here runs to the end of the file");
            if (c == '"') {
                if (peek() != '"') break;  // the closing quote
                ++pos_;
            } else if (c == '\n' || peek() != '\n') {  // LF, or a CR not followed by LF
                ++line_;
            }
            const char kept = char(c);
            append(field, &kept, &kept + 1, true);
        }
        const int c = peek();
        if (c == EOF) return EOF;
        ++pos_;
        if (c == ',') return ',';
        if (c == '\n' || c == '\r') return line_break(char(c));
        fail(line_, std::string("'") + char(c) + "' after the closing quote of a field (a quote inside a quoted field is written \"\")");
    }
    const int c = take_until(field, ',', false);
    return c == ',' || c == EOF ? c : line_break(char(c));
}

bool CsvReader::next(std::vector<std::string>& fields) {
    if (!started_) {
        started_ = true;
        if (fill() && std::string_view(buffer_.data(), end_).starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
    }
    if (peek() == EOF) return false;
    record_line_ = line_;
    std::size_t n = 0;
    int ended_by = ',';
    while (ended_by == ',') {
        if (n == limits_.max_fields)
            throw DataError(source_, record_line_, "", "a record of more than " + std::to_string(limits_.max_fields) + " fields");
        if (n == fields.size()) fields.emplace_back();
        field_ = n;
        fields[n].clear();
        ended_by = read_field(fields[n++]);
    }
    fields.resize(n);
    return true;
}

void append_csv_field(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' ')) || field.starts_with(kByteOrderMark);
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

}  // namespace hyda::mtl
