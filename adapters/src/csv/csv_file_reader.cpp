#include "csv_file_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "keel/adapters/parse/timestamp.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/core/input_check.hpp"
#include "keel/engine/risk/risk_limits.hpp"

namespace keel::adapters {
namespace {

using engine::Event;
using engine::EventType;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
        s = s.substr(1, s.size() - 2);
    return s;
}

// Splits a line on the file's delimiter (quoted fields may not contain it in market data files).
void split(std::string_view line, char delimiter, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t start = 0;
    for (;;) {
        const auto comma = line.find(delimiter, start);
        out.push_back(
            trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
}

// The names a header may give each column (compared in lower case). A name stands for one
// column only; a file's `columns` mapping (CsvFileSpec::columns) names others by these.
struct ColumnName {
    std::string_view name;
    int CsvColumns::*column;
};
constexpr ColumnName kColumnNames[] = {
    {"timestamp", &CsvColumns::time},
    {"date", &CsvColumns::time},
    {"time", &CsvColumns::time},
    {"datetime", &CsvColumns::time},
    {"symbol", &CsvColumns::symbol},
    {"ticker", &CsvColumns::symbol},
    {"open", &CsvColumns::open},
    {"high", &CsvColumns::high},
    {"low", &CsvColumns::low},
    {"close", &CsvColumns::close},
    {"adj close", &CsvColumns::adj_close},
    {"adj_close", &CsvColumns::adj_close},
    {"adjclose", &CsvColumns::adj_close},
    {"volume", &CsvColumns::volume},
    {"price", &CsvColumns::price},
    {"size", &CsvColumns::size},
    {"qty", &CsvColumns::size},
    {"quantity", &CsvColumns::size},
    {"bid", &CsvColumns::bid},
    {"ask", &CsvColumns::ask},
    {"bid_size", &CsvColumns::bid_size},
    {"ask_size", &CsvColumns::ask_size},
    {"action", &CsvColumns::action},
    {"notional", &CsvColumns::notional},
    {"timeframe", &CsvColumns::timeframe},
    {"interval", &CsvColumns::timeframe},
    {"id", &CsvColumns::id},
    {"alert_id", &CsvColumns::id},
    {"order_type", &CsvColumns::order_type},
    {"limit_price", &CsvColumns::limit_price},
    {"stop_price", &CsvColumns::stop_price},
    {"time_in_force", &CsvColumns::time_in_force},
    {"tif", &CsvColumns::time_in_force},
    {"command", &CsvColumns::command},
    {"arg", &CsvColumns::arg},
    {"limit", &CsvColumns::limit},
    {"value", &CsvColumns::value},
    {"account", &CsvColumns::account},
};

}  // namespace

// The field parsers csv_source.hpp declares live here, beside the reader that uses them.

std::optional<engine::AlertAction> parse_alert_action(std::string_view text) {
    const std::string a = lower(text);
    if (a == "buy")
        return engine::AlertAction::buy;
    if (a == "sell")
        return engine::AlertAction::sell;
    if (a == "close")
        return engine::AlertAction::close;
    if (a == "close_long")
        return engine::AlertAction::close_long;
    if (a == "close_short")
        return engine::AlertAction::close_short;
    return std::nullopt;
}

std::optional<engine::CommandCode> parse_command_code(std::string_view text) {
    const std::string a = lower(text);
    for (const auto code :
         {engine::CommandCode::kill, engine::CommandCode::unkill, engine::CommandCode::pause,
          engine::CommandCode::resume, engine::CommandCode::limit_stage,
          engine::CommandCode::limit_commit, engine::CommandCode::limit_discard}) {
        if (a == engine::to_string(code))
            return code;
    }
    return std::nullopt;
}

std::optional<std::uint16_t> parse_timeframe_minutes(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    std::int64_t unit = 1;
    const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    if (last == 'm' || last == 'h' || last == 'd') {
        unit = last == 'm' ? 1 : (last == 'h' ? 60 : 1440);
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() > 5)
        return std::nullopt;
    std::int64_t n = 0;
    for (const char ch : text) {
        if (ch < '0' || ch > '9')
            return std::nullopt;
        n = n * 10 + (ch - '0');
    }
    const std::int64_t minutes = n * unit;
    if (minutes <= 0 || minutes > 0xFFFF)
        return std::nullopt;
    return static_cast<std::uint16_t>(minutes);
}

CsvFileReader::CsvFileReader(const CsvFileSpec& spec, std::size_t file_index,
                             const CsvReadOptions& options, engine::SymbolTable& symbols)
    : spec_(spec),
      file_index_(file_index),
      options_(options),
      symbols_(symbols),
      name_(spec.display_path.empty() ? spec.path.string() : spec.display_path),
      time_(spec.time_format, spec.tz) {
    stats_.name = name_;
}

bool CsvFileReader::read(std::vector<CsvRow>& rows) {
    if (!time_.ok())
        return fail_file(time_.error());
    if (!open_file() || !skip_preamble() || !read_header())
        return false;
    while (next_line()) {
        CsvRow row{};
        if (parse_row(row)) {
            ++stats_.rows;
            rows.push_back(row);
        } else if (!skip_bad_row()) {
            return false;
        }
    }
    if (in_.bad())
        return fail_file("read error after line " + std::to_string(line_no_));
    return true;
}

// --- the file and its header ---

bool CsvFileReader::open_file() {
    in_.open(spec_.path, std::ios::binary);
    if (!in_) {
        const int err = errno;  // before anything else can overwrite it
        return fail_file(std::string("cannot open: ") + std::strerror(err));
    }
    return true;
}

// skip_rows lines before the header (a vendor's preamble), counted so lines keep their numbers.
bool CsvFileReader::skip_preamble() {
    for (std::uint32_t i = 0; i < spec_.skip_rows; ++i) {
        if (!std::getline(in_, line_))
            return fail_file("skip_rows " + std::to_string(spec_.skip_rows) +
                             " skips past the end of the file");
        ++line_no_;
    }
    return true;
}

// The first line that is not blank names the columns; the file's row type follows from them.
bool CsvFileReader::read_header() {
    if (!next_line())
        return fail_file("empty file (no header row)");
    split_line();
    if (!detect_columns() || !detect_kind() || !check_file_symbol())
        return false;
    width_ = fields_.size();
    return true;
}

bool CsvFileReader::detect_columns() {
    std::vector<bool> mapped(fields_.size(), false);
    if (!map_columns(mapped))
        return false;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (mapped[i])
            continue;
        int* slot = column_slot(lower(fields_[i]));
        if (slot == nullptr)
            continue;  // extra columns are allowed and ignored
        if (*slot != -1) {
            if (!spec_.columns.empty())
                continue;  // a mapped column already has this role: the header's own is extra
            return fail(i + 1, "duplicate column '" + std::string(fields_[i]) + "'");
        }
        *slot = static_cast<int>(i);
    }
    if (columns_.time == -1)
        return fail(1, "no time column (expected one of timestamp, date, time, datetime)");
    return true;
}

// The file's `columns` mapping: each of keel's names takes the header's column of that name (case
// ignored). A name keel does not read, or a header without the column, stops the load.
bool CsvFileReader::map_columns(std::vector<bool>& mapped) {
    for (const auto& [keel_name, file_name] : spec_.columns) {
        int* slot = column_slot(lower(keel_name));
        if (slot == nullptr)
            return fail_file("columns: '" + keel_name +
                             "' is not a column keel reads (e.g. time, "
                             "symbol, open, high, low, close, adj_close, volume, price, size, "
                             "bid, ask, bid_size, ask_size)");
        if (*slot != -1)
            return fail_file("columns: '" + keel_name + "' is mapped twice");
        const std::string wanted = lower(file_name);
        for (std::size_t i = 0; i < fields_.size() && *slot == -1; ++i) {
            if (lower(fields_[i]) == wanted) {
                *slot = static_cast<int>(i);
                mapped[i] = true;
            }
        }
        if (*slot == -1)
            return fail(1, "columns: '" + keel_name + "' maps to '" + file_name +
                               "', which the header does not have");
    }
    return true;
}

// The column a header name (lower case) stands for, or nullptr for a column we do not read.
int* CsvFileReader::column_slot(std::string_view lower_name) noexcept {
    for (const ColumnName& c : kColumnNames) {
        if (c.name == lower_name)
            return &(columns_.*c.column);
    }
    return nullptr;
}

bool CsvFileReader::detect_kind() {
    CsvColumns& c = columns_;
    if (c.command != -1) {
        // Operator commands replayed from a file (backtests, drills).
        c.kind = CsvRowKind::commands;
    } else if (c.action != -1) {
        // External alerts replayed from a file (backtests).
        c.kind = CsvRowKind::alerts;
    } else if (c.open != -1 && c.high != -1 && c.low != -1 && c.close != -1) {
        c.kind = CsvRowKind::bars;
        if (!spec_.bar_interval_s) {
            return fail_file(
                "bar file needs 'bar_interval' in its data.files entry "
                "(e.g. \"1d\"), so each bar is stamped at its close");
        }
        if (spec_.adjusted && c.adj_close == -1)
            return fail_file("adjusted: true needs an Adj Close column");
    } else if (c.price != -1) {
        c.kind = CsvRowKind::trades;
        if (c.size == -1)
            c.size = c.volume;
    } else if (c.bid != -1 && c.ask != -1) {
        c.kind = CsvRowKind::quotes;
    } else {
        return fail(1,
                    "cannot tell the row type: expected open,high,low,close or price or bid,ask "
                    "or action or command");
    }
    return true;
}

// The file's symbol when it has no symbol column. Symbols are interned only for rows that load,
// so a skipped row leaves no symbol without a definition in the table.
bool CsvFileReader::check_file_symbol() {
    file_symbol_ = columns_.symbol == -1 && columns_.kind != CsvRowKind::commands;
    if (file_symbol_ && spec_.symbol.empty()) {
        return fail_file(
            "no symbol column and no symbol given for the file (data.files[].symbol, "
            "or SYMBOL=FILE with keel backtest --data)");
    }
    if (file_symbol_ && spec_.symbol.size() > engine::kSymbolNameMax) {
        return fail_file("symbol '" + spec_.symbol + "' is longer than " +
                         std::to_string(engine::kSymbolNameMax) + " bytes");
    }
    return true;
}

// --- lines and rows ---

// The next line that is not blank, counting every line read so messages name the right one.
bool CsvFileReader::next_line() {
    do {
        if (!std::getline(in_, line_))
            return false;
        ++line_no_;
    } while (trim(line_).empty());
    return true;
}

void CsvFileReader::split_line() {
    split(line_, spec_.delimiter, fields_);
}

// Skipped rows are counted per file and the first is named: never silent. Without
// skip_bad_rows a bad row stops the load (false, error_ kept).
bool CsvFileReader::skip_bad_row() {
    if (!options_.skip_bad_rows)
        return false;
    if (stats_.skipped_rows++ == 0)
        stats_.first_skipped = error_;
    error_.clear();
    return true;
}

// Parses the current line into row. The checks run in a fixed order (field count, time, symbol,
// the kind's own fields): the first that fails is the one named. The symbol is interned last, so
// a row that fails takes no symbol id.
bool CsvFileReader::parse_row(CsvRow& row) {
    split_line();
    if (fields_.size() != width_) {
        return fail(1, "expected " + std::to_string(width_) + " fields, found " +
                           std::to_string(fields_.size()));
    }
    std::int64_t ts_ns = 0;
    std::string_view sym_name;
    if (!parse_time(ts_ns) || !row_symbol(sym_name))
        return false;
    row = CsvRow{
        engine::make_event(EventType::trade, engine::Source::feed, 0, ts_ns, engine::kNoSymbol),
        file_index_,
        line_no_,
        {}};
    alert_tail_.clear();
    if (!parse_payload(row.event) || !check_band(sym_name, row.event) ||
        !check_order(sym_name, row.event.header.ts_ns))
        return false;
    row.tail = std::move(alert_tail_);
    return sym_name.empty() || intern_symbol(sym_name, row.event);
}

bool CsvFileReader::parse_time(std::int64_t& ts_ns) {
    const int col = columns_.time;
    std::string why;
    if (!time_.parse(fields_[col], ts_ns, why))
        return fail(col + 1, why);
    return true;
}

// Each symbol's rows in time order: a row before the previous one of its symbol is a bad row,
// unless the file is to be sorted (data.sort), when it is counted. Rows of one time are in order
// (trades and quotes may share a time; two bars may not, which the merge checks across files).
bool CsvFileReader::check_order(std::string_view symbol, std::int64_t ts_ns) {
    if (last_index_ >= last_by_symbol_.size() || last_by_symbol_[last_index_].first != symbol) {
        last_index_ = 0;
        while (last_index_ < last_by_symbol_.size() && last_by_symbol_[last_index_].first != symbol)
            ++last_index_;
        if (last_index_ == last_by_symbol_.size())
            last_by_symbol_.push_back({std::string(symbol), {INT64_MIN, 0}});
    }
    auto& [last_ns, last_line] = last_by_symbol_[last_index_].second;
    if (ts_ns < last_ns) {
        if (!options_.sort) {
            return fail(columns_.time + 1,
                        "row out of time order: before line " + std::to_string(last_line) +
                            (symbol.empty() ? "" : " of " + std::string(symbol)) +
                            " (sort the file, or set data.sort: true to have keel sort it)");
        }
        ++stats_.sorted_rows;
        return true;  // the latest time stays the mark later rows are held to
    }
    last_ns = ts_ns;
    last_line = line_no_;
    return true;
}

// A quote's spread within data.max_spread_pct of its bid: a wider one is a file whose columns are
// swapped or mislabelled (a size read as the ask), not a market.
bool CsvFileReader::check_spread(const engine::QuotePayload& q) {
    const std::uint32_t limit = options_.max_spread_pct;
    const engine::i128 spread = static_cast<engine::i128>(q.ask.raw) - q.bid.raw;
    if (limit == 0 || q.bid.raw <= 0 ||
        spread * 100 <= static_cast<engine::i128>(q.bid.raw) * limit)
        return true;
    const auto tenths = static_cast<std::int64_t>(spread * 1000 / q.bid.raw);
    return fail(columns_.ask + 1, "quote spread: ask " + std::string(fields_[columns_.ask]) +
                                      " is " + std::to_string(tenths / 10) + "." +
                                      std::to_string(tenths % 10) + "% above bid " +
                                      std::string(fields_[columns_.bid]) + ", more than " +
                                      "data.max_spread_pct (" + std::to_string(limit) +
                                      "): columns swapped or mislabelled?");
}

// A market data row's prices within the symbol's band (config symbols[].min_price/max_price).
bool CsvFileReader::check_band(std::string_view symbol, const Event& e) {
    if (options_.bands.empty())
        return true;
    if (!band_looked_up_ || band_symbol_ != symbol) {
        band_ = nullptr;
        for (const CsvPriceBand& b : options_.bands) {
            if (b.symbol == symbol)
                band_ = &b;
        }
        band_symbol_ = std::string(symbol);
        band_looked_up_ = true;
    }
    if (band_ == nullptr)
        return true;
    const auto outside = [&](engine::Price p) {
        return p < band_->min_price || (band_->max_price.raw > 0 && p > band_->max_price);
    };
    const auto check = [&](int col, engine::Price p) {
        if (!outside(p))
            return true;
        return fail(col + 1,
                    "'" + std::string(fields_[col]) + "' is outside " + std::string(symbol) +
                        "'s band [" + engine::decimal_string(band_->min_price.raw) + ", " +
                        (band_->max_price.raw > 0 ? engine::decimal_string(band_->max_price.raw)
                                                  : std::string("no bound")) +
                        "] (symbols[].min_price / max_price)");
    };
    const CsvColumns& c = columns_;
    switch (e.header.type) {
        case EventType::trade:
            return check(c.price, e.payload.trade.price);
        case EventType::quote:
            return check(c.bid, e.payload.quote.bid) && check(c.ask, e.payload.quote.ask);
        case EventType::bar:
            return check(c.low, e.payload.bar.low) && check(c.high, e.payload.bar.high);
        default:
            return true;
    }
}

// The row's symbol: named here, interned once the rest of the row has parsed (parse_row).
bool CsvFileReader::row_symbol(std::string_view& name) {
    const int col = columns_.symbol;
    if (file_symbol_) {
        name = spec_.symbol;
    } else if (col == -1 || fields_[col].empty()) {
        // Only a command may be about no symbol in particular.
        if (columns_.kind != CsvRowKind::commands)
            return fail(col == -1 ? 1 : col + 1, "empty symbol");
    } else {
        name = fields_[col];
    }
    return true;
}

bool CsvFileReader::parse_payload(Event& e) {
    switch (columns_.kind) {
        case CsvRowKind::bars:
            return parse_bar(e);
        case CsvRowKind::trades:
            return parse_trade(e);
        case CsvRowKind::quotes:
            return parse_quote(e);
        case CsvRowKind::alerts:
            return parse_alert(e);
        case CsvRowKind::commands:
            return parse_command(e);
    }
    return true;
}

// A bar row's time is the bar's open; its event is stamped at the bar's close, when it is known.
bool CsvFileReader::parse_bar(Event& e) {
    const CsvColumns& c = columns_;
    engine::BarPayload& b = e.payload.bar;
    e.header.type = EventType::bar;
    e.header.ts_ns += *spec_.bar_interval_s * 1'000'000'000LL;
    e.header.aux =
        static_cast<std::uint16_t>(std::min<std::int64_t>(*spec_.bar_interval_s / 60, 0xFFFF));
    if (!decimal(c.open, b.open.raw, Sign::positive) ||
        !decimal(c.high, b.high.raw, Sign::positive) ||
        !decimal(c.low, b.low.raw, Sign::positive) ||
        !decimal(c.close, b.close.raw, Sign::positive)) {
        return false;
    }
    // No volume column, or an empty cell: unknown, not 0 (as a trade's or quote's size).
    bool unknown = false;
    if (!size(c.volume, b.volume, unknown))
        return false;
    stats_.unknown_size_rows += unknown ? 1 : 0;
    if (spec_.adjusted && !adjust_bar(b))
        return false;
    if (b.high < b.low || b.open > b.high || b.open < b.low || b.close > b.high ||
        b.close < b.low) {
        return fail(c.high + 1, "inconsistent bar: high/low do not bound open and close");
    }
    return true;
}

// Adjusted prices (Yahoo's Adj Close): open, high and low scaled by adj_close / close, to the
// nearest 1e-9, and close = adj_close. Scaling keeps the order of the prices, so the bar stays
// consistent; volume is as given (Yahoo's is split-adjusted already).
bool CsvFileReader::adjust_bar(engine::BarPayload& b) {
    std::int64_t adj = 0;
    if (!decimal(columns_.adj_close, adj, Sign::positive))
        return false;
    const auto scale = [&](engine::Price& p) {
        const engine::i128 num = static_cast<engine::i128>(p.raw) * adj;
        p = engine::Price::from_raw(
            static_cast<std::int64_t>((num + b.close.raw / 2) / b.close.raw));
    };
    scale(b.open);
    scale(b.high);
    scale(b.low);
    b.close = engine::Price::from_raw(adj);
    return true;
}

bool CsvFileReader::size(int col, engine::Quantity& out, bool& unknown) {
    if (!has_value(col)) {
        out = engine::kSizeUnknown;
        unknown = true;
        return true;
    }
    return decimal(col, out.raw, Sign::non_negative);
}

bool CsvFileReader::parse_trade(Event& e) {
    e.header.type = EventType::trade;
    if (!decimal(columns_.price, e.payload.trade.price.raw, Sign::positive))
        return false;
    bool unknown = false;
    if (!size(columns_.size, e.payload.trade.size, unknown))
        return false;
    stats_.unknown_size_rows += unknown ? 1 : 0;
    return true;
}

bool CsvFileReader::parse_quote(Event& e) {
    const CsvColumns& c = columns_;
    engine::QuotePayload& q = e.payload.quote;
    e.header.type = EventType::quote;
    if (!decimal(c.bid, q.bid.raw, Sign::positive) || !decimal(c.ask, q.ask.raw, Sign::positive))
        return false;
    if (q.ask < q.bid) {
        return fail(c.ask + 1, "crossed quote: ask " + std::string(fields_[c.ask]) +
                                   " is below bid " + std::string(fields_[c.bid]));
    }
    if (!check_spread(q))
        return false;
    bool unknown = false;
    if (!size(c.bid_size, q.bid_size, unknown) || !size(c.ask_size, q.ask_size, unknown))
        return false;
    stats_.unknown_size_rows += unknown ? 1 : 0;
    return true;
}

bool CsvFileReader::parse_alert(Event& e) {
    const CsvColumns& c = columns_;
    engine::AlertPayload& a = e.payload.alert;
    e.header.type = EventType::alert;
    const auto action = parse_alert_action(fields_[c.action]);
    if (!action) {
        return fail(c.action + 1, "'" + std::string(fields_[c.action]) +
                                      "' is not an alert action (buy, sell, close, "
                                      "close_long, close_short)");
    }
    a.action = *action;
    if (has_value(c.size) && !decimal(c.size, a.quantity.raw, Sign::positive))
        return false;
    if (has_value(c.notional) && !decimal(c.notional, a.notional.raw, Sign::positive))
        return false;
    if (has_value(c.price) && !decimal(c.price, a.price.raw, Sign::positive))
        return false;
    if (has_value(c.timeframe)) {
        const auto minutes = parse_timeframe_minutes(fields_[c.timeframe]);
        if (!minutes) {
            return fail(c.timeframe + 1, "'" + std::string(fields_[c.timeframe]) +
                                             "' is not a timeframe (e.g. 30, 5m, 1h, 1d)");
        }
        a.timeframe_minutes = *minutes;
    }
    // The idempotency key: the alert's id, else a hash of its row.
    a.alert_key = engine::fnv1a64(has_value(c.id) ? fields_[c.id] : std::string_view(line_));
    return alert_order_tail();
}

bool CsvFileReader::alert_order_tail() {
    const CsvColumns& c = columns_;
    // Written from checked values only (a word of [a-z_], a decimal re-formatted from fixed
    // point), so the JSON needs no escaping.
    std::string json;
    const auto add = [&](const char* key, const std::string& value) {
        json += std::string(json.empty() ? "{" : ",") + "\"" + key + "\":\"" + value + "\"";
    };
    const auto word = [&](int col, const char* key) {
        if (!has_value(col))
            return true;
        const std::string w = lower(fields_[col]);
        for (const char ch : w) {
            if ((ch < 'a' || ch > 'z') && ch != '_')
                return fail(col + 1, "'" + std::string(fields_[col]) + "' is not a " + key);
        }
        add(key, w);
        return true;
    };
    const auto price = [&](int col, const char* key) {
        std::int64_t raw = 0;
        if (!has_value(col))
            return true;
        if (!decimal(col, raw, Sign::positive))
            return false;
        add(key, engine::decimal_string(raw));
        return true;
    };
    if (!word(c.order_type, "order_type") || !price(c.limit_price, "limit_price") ||
        !price(c.stop_price, "stop_price") || !word(c.time_in_force, "time_in_force"))
        return false;
    if (json.empty())
        return true;
    // The alert's price rides along with its order fields: a limit order may take it as its limit
    // (alert_order.hpp), as it does from a webhook body.
    if (!price(c.price, "price"))
        return false;
    json += "}";
    engine::AlertOrder order;
    const engine::AlertOrderProblem p = order_parser_.read(json, order);
    if (!p.ok()) {
        const int col = p.field == "order_type"    ? c.order_type
                        : p.field == "limit_price" ? c.limit_price
                        : p.field == "stop_price"  ? c.stop_price
                                                   : c.time_in_force;
        return fail((col == -1 ? c.action : col) + 1,
                    std::string(p.field) + " " + std::string(p.why));
    }
    alert_tail_ = std::move(json);
    return true;
}

bool CsvFileReader::parse_command(Event& e) {
    const CsvColumns& c = columns_;
    engine::CommandPayload& cmd = e.payload.command;
    e.header.type = EventType::command;
    e.header.source = engine::Source::control;
    const auto code = parse_command_code(fields_[c.command]);
    if (!code) {
        return fail(c.command + 1, "'" + std::string(fields_[c.command]) +
                                       "' is not a command (kill, unkill, pause, "
                                       "resume, limit_stage, limit_commit, "
                                       "limit_discard)");
    }
    cmd.code = *code;
    if (has_value(c.arg)) {
        std::int64_t raw = 0;
        if (engine::parse_decimal(fields_[c.arg], raw) != engine::DecimalError::ok ||
            raw % engine::kScale != 0) {
            return fail(c.arg + 1,
                        "'" + std::string(fields_[c.arg]) + "' is not an integer argument");
        }
        cmd.arg = raw / engine::kScale;
    }
    // One account: the column is an extra one, ignored like any other.
    if (options_.accounts.size() > 1 && has_value(c.account)) {
        // CommandPayload::account: k+1 for account k.
        const std::string_view name = fields_[c.account];
        const std::optional<std::size_t> k = engine::account_named(options_.accounts, name);
        if (!k)
            return fail(c.account + 1, "'" + std::string(name) + "' is not an account (accounts: " +
                                           engine::account_list(options_.accounts) + ")");
        cmd.account = static_cast<std::uint8_t>(*k + 1);
    }
    return *code != engine::CommandCode::limit_stage || parse_staged_limit(cmd);
}

// limit_stage names a risk limit (param) and its new value (arg).
bool CsvFileReader::parse_staged_limit(engine::CommandPayload& cmd) {
    const CsvColumns& c = columns_;
    const auto limit = c.limit == -1 ? std::nullopt : engine::parse_risk_limit(fields_[c.limit]);
    if (!limit) {
        return fail(c.limit == -1 ? 1 : c.limit + 1,
                    "limit_stage needs a 'limit' column naming a risk limit "
                    "(e.g. max_order_qty)");
    }
    cmd.param = static_cast<std::uint16_t>(*limit);
    std::int64_t raw = 0;
    if (c.value == -1 || engine::parse_decimal(fields_[c.value], raw) != engine::DecimalError::ok) {
        return fail(c.value == -1 ? 1 : c.value + 1, "limit_stage needs a decimal 'value'");
    }
    // Quantities, money and percentages are fixed-point; counts, times and minutes are plain
    // integers.
    if (!engine::risk_limit_is_fixed_point(*limit)) {
        if (raw % engine::kScale != 0) {
            return fail(c.value + 1, "'" + std::string(fields_[c.value]) +
                                         "' must be a whole number for this limit");
        }
        raw /= engine::kScale;
    }
    cmd.arg = raw;
    return true;
}

bool CsvFileReader::intern_symbol(std::string_view name, Event& e) {
    const auto id = symbols_.intern(name);
    if (!id) {
        return fail(file_symbol_ ? 1 : columns_.symbol + 1,
                    "cannot intern symbol '" + std::string(name) + "' (longer than " +
                        std::to_string(engine::kSymbolNameMax) + " bytes, or table full)");
    }
    e.header.symbol = *id;
    return true;
}

// --- fields ---

// Whether the row has the optional column col and something in it.
bool CsvFileReader::has_value(int col) const noexcept {
    return col != -1 && !fields_[col].empty();
}

bool CsvFileReader::decimal(int col, std::int64_t& raw, Sign sign) {
    const engine::DecimalError e = engine::parse_decimal(fields_[col], raw);
    if (e != engine::DecimalError::ok) {
        return fail(col + 1,
                    "'" + std::string(fields_[col]) + "': " + std::string(engine::to_string(e)));
    }
    const bool positive = sign == Sign::positive;
    if (positive ? raw <= 0 : raw < 0) {
        return fail(col + 1, "'" + std::string(fields_[col]) + "' must be " +
                                 (positive ? "positive" : "non-negative"));
    }
    // Ingest refuses more (input_check.hpp); a file is told at once, with the row.
    if (raw > engine::kMaxInputRaw) {
        return fail(col + 1, "'" + std::string(fields_[col]) + "' is above " +
                                 engine::decimal_string(engine::kMaxInputRaw) +
                                 ", the largest value keel accepts");
    }
    return true;
}

// --- problems ---

bool CsvFileReader::fail(std::size_t col, const std::string& why) {
    error_ = name_ + ":" + std::to_string(line_no_) + ":" + std::to_string(col) + ": " + why;
    return false;
}

bool CsvFileReader::fail_file(const std::string& why) {
    error_ = name_ + ": " + why;
    return false;
}

}  // namespace keel::adapters
