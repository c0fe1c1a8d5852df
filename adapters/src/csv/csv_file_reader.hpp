// CsvFileReader: one CSV file of recorded data read into events, for CsvSource::open (start-up,
// cold path). Internal to the CSV adapter.
//
// The reader finds the columns by the header's names, tells the file's row type from them, then
// turns each line into one event. Each step is its own member, so that a later reading option
// (delimiter, time format, time zone, column mapping) or check (rows out of order, duplicates)
// changes one member: split_line, parse_time, column_slot, and read's loop for the checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "csv_time.hpp"
#include "keel/adapters/csv/csv_source.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/engine/strategy/alert_order.hpp"

namespace keel::adapters {

// What one file's rows are; the header's columns decide it, so every row of a file has one kind.
enum class CsvRowKind { bars, trades, quotes, alerts, commands };

// The header's columns by role: a 0-based field index, or -1 when the file has no such column.
struct CsvColumns {
    int time = -1, symbol = -1;
    int open = -1, high = -1, low = -1, close = -1, adj_close = -1, volume = -1;
    int price = -1, size = -1;
    int bid = -1, ask = -1, bid_size = -1, ask_size = -1;
    int action = -1, notional = -1, timeframe = -1, id = -1;
    int order_type = -1, limit_price = -1, stop_price = -1, time_in_force = -1;
    int command = -1, arg = -1, limit = -1, value = -1, account = -1;
    CsvRowKind kind = CsvRowKind::trades;
};

// One loaded row, with where it came from: the merge keeps rows of equal time in (file, line)
// order.
struct CsvRow {
    engine::Event event;
    std::size_t file;
    std::size_t line;
    // An alert's order fields as the JSON object its record carries as a tail (the webhook's
    // shape: engine/strategy/alert_order.hpp); empty for every other row.
    std::string tail;
};

class CsvFileReader {
  public:
    // file_index is the file's place in CsvSource::open's list. Symbols of rows that load are
    // interned into symbols as they are read.
    CsvFileReader(const CsvFileSpec& spec, std::size_t file_index, const CsvReadOptions& options,
                  engine::SymbolTable& symbols);

    // Reads the header and every row, appending the rows that load to rows in line order. False
    // when the file cannot be loaded; error() then says why ("file:line:col: why" or "file: why").
    [[nodiscard]] bool read(std::vector<CsvRow>& rows);

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] const CsvFileStats& stats() const noexcept { return stats_; }
    [[nodiscard]] CsvRowKind kind() const noexcept { return columns_.kind; }
    // The time column's 1-based number, for messages about a row's time.
    [[nodiscard]] std::size_t time_column() const noexcept {
        return static_cast<std::size_t>(columns_.time + 1);
    }

  private:
    // Whether a decimal must be above zero (prices) or may be zero (sizes, volumes).
    enum class Sign { positive, non_negative };

    // The file and its header.
    [[nodiscard]] bool open_file();
    [[nodiscard]] bool read_header();
    [[nodiscard]] bool skip_preamble();
    [[nodiscard]] bool detect_columns();
    [[nodiscard]] bool map_columns(std::vector<bool>& mapped);
    [[nodiscard]] int* column_slot(std::string_view lower_name) noexcept;
    [[nodiscard]] bool detect_kind();
    [[nodiscard]] bool check_file_symbol();

    // Lines and rows.
    [[nodiscard]] bool next_line();
    void split_line();
    [[nodiscard]] bool skip_bad_row();
    [[nodiscard]] bool parse_row(CsvRow& row);
    [[nodiscard]] bool parse_time(std::int64_t& ts_ns);
    // Rows of one symbol in time order (or counted, with CsvReadOptions::sort).
    [[nodiscard]] bool check_order(std::string_view symbol, std::int64_t ts_ns);
    // The symbol's band and keel's largest price.
    [[nodiscard]] bool check_band(std::string_view symbol, const engine::Event& e);
    [[nodiscard]] bool check_spread(const engine::QuotePayload& q);
    [[nodiscard]] bool adjust_bar(engine::BarPayload& b);
    // A trade's or quote's size column: a size, or kSizeUnknown when absent or empty.
    [[nodiscard]] bool size(int col, engine::Quantity& out, bool& unknown);
    [[nodiscard]] bool row_symbol(std::string_view& name);
    [[nodiscard]] bool parse_payload(engine::Event& e);
    [[nodiscard]] bool parse_bar(engine::Event& e);
    [[nodiscard]] bool parse_trade(engine::Event& e);
    [[nodiscard]] bool parse_quote(engine::Event& e);
    [[nodiscard]] bool parse_alert(engine::Event& e);
    // The alert row's order columns as its tail (alert_tail_), checked as the webhook checks a
    // body's.
    [[nodiscard]] bool alert_order_tail();
    [[nodiscard]] bool parse_command(engine::Event& e);
    [[nodiscard]] bool parse_staged_limit(engine::CommandPayload& cmd);
    [[nodiscard]] bool intern_symbol(std::string_view name, engine::Event& e);

    // Fields.
    [[nodiscard]] bool has_value(int col) const noexcept;
    [[nodiscard]] bool decimal(int col, std::int64_t& raw, Sign sign);

    // Problems: each sets error_ and returns false, so a check can `return fail(...)`.
    bool fail(std::size_t col, const std::string& why);
    bool fail_file(const std::string& why);

    const CsvFileSpec& spec_;
    const std::size_t file_index_;
    const CsvReadOptions& options_;
    engine::SymbolTable& symbols_;
    const std::string name_;  // how messages name the file

    std::ifstream in_;
    std::string line_;  // the current line as read (an alert without an id hashes it)
    std::size_t line_no_ = 0;
    std::vector<std::string_view> fields_;  // the current line's, trimmed
    CsvColumns columns_;
    std::size_t width_ = 0;     // the header's field count, which every row must have
    bool file_symbol_ = false;  // rows take spec_.symbol (the file has no symbol column)
    CsvFileStats stats_;
    std::string error_;
    std::string alert_tail_;  // the current alert row's tail (alert_order_tail)
    CsvTime time_;
    // The last row's time per symbol, for the order check; and its line.
    std::vector<std::pair<std::string, std::pair<std::int64_t, std::size_t>>> last_by_symbol_;
    std::size_t last_index_ = 0;          // last_by_symbol_'s entry the previous row used
    const CsvPriceBand* band_ = nullptr;  // the band of band_symbol_ (nullptr: none)
    std::string band_symbol_;
    bool band_looked_up_ = false;
    engine::AlertOrderParser order_parser_;
};

}  // namespace keel::adapters
