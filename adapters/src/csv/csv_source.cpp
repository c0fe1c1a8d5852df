#include "keel/adapters/csv/csv_source.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>

#include "keel/adapters/parse/timestamp.hpp"
#include "keel/engine/config/config.hpp"
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

// Splits a line on commas (quoted fields may not contain commas in market data files).
void split(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t start = 0;
    for (;;) {
        const auto comma = line.find(',', start);
        out.push_back(
            trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
}

enum class Kind { bars, trades, quotes, alerts, commands };

struct Columns {
    int time = -1, symbol = -1;
    int open = -1, high = -1, low = -1, close = -1, volume = -1;
    int price = -1, size = -1;
    int bid = -1, ask = -1, bid_size = -1, ask_size = -1;
    int action = -1, notional = -1, timeframe = -1, id = -1;
    int command = -1, arg = -1, limit = -1, value = -1;
    Kind kind = Kind::trades;
};

struct Row {
    Event event;
    std::size_t file;
    std::size_t line;
};

}  // namespace

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

void CsvSource::set_tick_size(engine::SymbolId symbol, engine::Price tick) noexcept {
    for (Event& e : events_) {
        if (e.header.type == EventType::symbol_def && e.header.symbol == symbol)
            e.payload.symbol_def.tick_size = tick;
    }
}

std::optional<CsvSource> CsvSource::open(const std::vector<CsvFileSpec>& files,
                                         engine::SymbolTable& symbols,
                                         std::uint64_t pace_events_per_s, std::string& error,
                                         const CsvReadOptions& options) {
    CsvSource src;
    src.pace_events_per_s_ = pace_events_per_s;
    std::vector<Row> rows;
    std::vector<engine::SymbolId> first_seen;  // symbol ids in first-use order
    std::vector<std::string_view> fields;

    for (std::size_t fi = 0; fi < files.size(); ++fi) {
        const CsvFileSpec& spec = files[fi];
        const std::string& name =
            spec.display_path.empty() ? spec.path.string() : spec.display_path;
        std::ifstream in(spec.path, std::ios::binary);
        if (!in) {
            error = name + ": cannot open: " + std::strerror(errno);
            return std::nullopt;
        }
        std::string line;
        std::size_t line_no = 0;
        auto fail = [&](std::size_t col, const std::string& why) {
            error = name + ":" + std::to_string(line_no) + ":" + std::to_string(col) + ": " + why;
        };

        // Header.
        Columns c;
        do {
            if (!std::getline(in, line)) {
                error = name + ": empty file (no header row)";
                return std::nullopt;
            }
            ++line_no;
        } while (trim(line).empty());
        split(line, fields);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string h = lower(fields[i]);
            const int idx = static_cast<int>(i);
            int* slot = nullptr;
            if (h == "timestamp" || h == "date" || h == "time" || h == "datetime")
                slot = &c.time;
            else if (h == "symbol" || h == "ticker")
                slot = &c.symbol;
            else if (h == "open")
                slot = &c.open;
            else if (h == "high")
                slot = &c.high;
            else if (h == "low")
                slot = &c.low;
            else if (h == "close")
                slot = &c.close;
            else if (h == "volume")
                slot = &c.volume;
            else if (h == "price")
                slot = &c.price;
            else if (h == "size" || h == "qty" || h == "quantity")
                slot = &c.size;
            else if (h == "bid")
                slot = &c.bid;
            else if (h == "ask")
                slot = &c.ask;
            else if (h == "bid_size")
                slot = &c.bid_size;
            else if (h == "ask_size")
                slot = &c.ask_size;
            else if (h == "action")
                slot = &c.action;
            else if (h == "notional")
                slot = &c.notional;
            else if (h == "timeframe" || h == "interval")
                slot = &c.timeframe;
            else if (h == "id" || h == "alert_id")
                slot = &c.id;
            else if (h == "command")
                slot = &c.command;
            else if (h == "arg")
                slot = &c.arg;
            else if (h == "limit")
                slot = &c.limit;
            else if (h == "value")
                slot = &c.value;
            if (slot == nullptr)
                continue;  // extra columns are allowed and ignored
            if (*slot != -1) {
                fail(i + 1, "duplicate column '" + std::string(fields[i]) + "'");
                return std::nullopt;
            }
            *slot = idx;
        }
        if (c.time == -1) {
            fail(1, "no time column (expected one of timestamp, date, time, datetime)");
            return std::nullopt;
        }
        if (c.command != -1) {
            c.kind = Kind::commands;  // operator commands replayed from a file (backtests, drills)
        } else if (c.action != -1) {
            c.kind = Kind::alerts;  // external alerts replayed from a file (backtests)
        } else if (c.open != -1 && c.high != -1 && c.low != -1 && c.close != -1) {
            c.kind = Kind::bars;
            if (!spec.bar_interval_s) {
                error = name +
                        ": bar file needs 'bar_interval' in its data.files entry "
                        "(e.g. \"1d\"), so each bar is stamped at its close";
                return std::nullopt;
            }
        } else if (c.price != -1) {
            c.kind = Kind::trades;
            if (c.size == -1)
                c.size = c.volume;
        } else if (c.bid != -1 && c.ask != -1) {
            c.kind = Kind::quotes;
        } else {
            fail(1,
                 "cannot tell the row type: expected open,high,low,close or price or bid,ask "
                 "or action or command");
            return std::nullopt;
        }
        // The file's symbol when it has no symbol column. Symbols are interned only for rows
        // that load, so a skipped row leaves no symbol without a definition in the table.
        const bool file_symbol = c.symbol == -1 && c.kind != Kind::commands;
        if (file_symbol && spec.symbol.empty()) {
            error = name +
                    ": no symbol column and no symbol given for the file (data.files[].symbol, "
                    "or SYMBOL=FILE with keel backtest --data)";
            return std::nullopt;
        }
        if (file_symbol && spec.symbol.size() > engine::kSymbolNameMax) {
            error = name + ": symbol '" + spec.symbol + "' is longer than " +
                    std::to_string(engine::kSymbolNameMax) + " bytes";
            return std::nullopt;
        }
        const std::size_t width = fields.size();
        CsvFileStats file_stats;
        file_stats.name = name;

        // Parses the current line into row; false with error set ("file:line:col: why").
        auto parse_row = [&](Row& row) -> bool {
            split(line, fields);
            if (fields.size() != width) {
                fail(1, "expected " + std::to_string(width) + " fields, found " +
                            std::to_string(fields.size()));
                return false;
            }
            auto decimal = [&](int col, std::int64_t& raw, bool positive) -> bool {
                const engine::DecimalError e = engine::parse_decimal(fields[col], raw);
                if (e != engine::DecimalError::ok) {
                    fail(col + 1, "'" + std::string(fields[col]) +
                                      "': " + std::string(engine::to_string(e)));
                    return false;
                }
                if (positive ? raw <= 0 : raw < 0) {
                    fail(col + 1, "'" + std::string(fields[col]) + "' must be " +
                                      (positive ? "positive" : "non-negative"));
                    return false;
                }
                return true;
            };
            const auto ts = parse_timestamp_ns(fields[c.time]);
            if (!ts) {
                fail(c.time + 1, "'" + std::string(fields[c.time]) +
                                     "' is not a timestamp (ISO-8601 date or date-time in UTC, "
                                     "or epoch s/ms/us/ns)");
                return false;
            }
            // The row's symbol: named here, interned once the rest of the row has parsed.
            std::string_view sym_name;
            if (file_symbol) {
                sym_name = spec.symbol;
            } else if (c.symbol == -1 || fields[c.symbol].empty()) {
                // Only a command may be about no symbol in particular.
                if (c.kind != Kind::commands) {
                    fail(c.symbol == -1 ? 1 : c.symbol + 1, "empty symbol");
                    return false;
                }
            } else {
                sym_name = fields[c.symbol];
            }
            row = Row{engine::make_event(EventType::trade, engine::Source::feed, 0, *ts,
                                         engine::kNoSymbol),
                      fi, line_no};
            Event& e = row.event;
            switch (c.kind) {
                case Kind::bars: {
                    engine::BarPayload& b = e.payload.bar;
                    e.header.type = EventType::bar;
                    e.header.ts_ns = *ts + *spec.bar_interval_s * 1'000'000'000LL;
                    e.header.aux = static_cast<std::uint16_t>(
                        std::min<std::int64_t>(*spec.bar_interval_s / 60, 0xFFFF));
                    if (!decimal(c.open, b.open.raw, true) || !decimal(c.high, b.high.raw, true) ||
                        !decimal(c.low, b.low.raw, true) || !decimal(c.close, b.close.raw, true)) {
                        return false;
                    }
                    if (c.volume != -1 && !decimal(c.volume, b.volume.raw, false))
                        return false;
                    if (b.high < b.low || b.open > b.high || b.open < b.low || b.close > b.high ||
                        b.close < b.low) {
                        fail(c.high + 1, "inconsistent bar: high/low do not bound open and close");
                        return false;
                    }
                    break;
                }
                case Kind::trades:
                    e.header.type = EventType::trade;
                    if (!decimal(c.price, e.payload.trade.price.raw, true))
                        return false;
                    if (c.size != -1 && !decimal(c.size, e.payload.trade.size.raw, false)) {
                        return false;
                    }
                    break;
                case Kind::quotes: {
                    engine::QuotePayload& q = e.payload.quote;
                    e.header.type = EventType::quote;
                    if (!decimal(c.bid, q.bid.raw, true) || !decimal(c.ask, q.ask.raw, true)) {
                        return false;
                    }
                    if (c.bid_size != -1 && !decimal(c.bid_size, q.bid_size.raw, false))
                        return false;
                    if (c.ask_size != -1 && !decimal(c.ask_size, q.ask_size.raw, false))
                        return false;
                    break;
                }
                case Kind::alerts: {
                    engine::AlertPayload& a = e.payload.alert;
                    e.header.type = EventType::alert;
                    const auto action = parse_alert_action(fields[c.action]);
                    if (!action) {
                        fail(c.action + 1, "'" + std::string(fields[c.action]) +
                                               "' is not an alert action (buy, sell, close, "
                                               "close_long, close_short)");
                        return false;
                    }
                    a.action = *action;
                    const bool has_qty = c.size != -1 && !fields[c.size].empty();
                    const bool has_notional = c.notional != -1 && !fields[c.notional].empty();
                    if (has_qty && !decimal(c.size, a.quantity.raw, true))
                        return false;
                    if (has_notional && !decimal(c.notional, a.notional.raw, true))
                        return false;
                    if (c.price != -1 && !fields[c.price].empty() &&
                        !decimal(c.price, a.price.raw, true))
                        return false;
                    if (c.timeframe != -1 && !fields[c.timeframe].empty()) {
                        const auto minutes = parse_timeframe_minutes(fields[c.timeframe]);
                        if (!minutes) {
                            fail(c.timeframe + 1, "'" + std::string(fields[c.timeframe]) +
                                                      "' is not a timeframe (e.g. 30, 5m, 1h, "
                                                      "1d)");
                            return false;
                        }
                        a.timeframe_minutes = *minutes;
                    }
                    // The idempotency key: the alert's id, else a hash of its row.
                    a.alert_key = engine::fnv1a64(c.id != -1 && !fields[c.id].empty()
                                                      ? fields[c.id]
                                                      : std::string_view(line));
                    break;
                }
                case Kind::commands: {
                    engine::CommandPayload& cmd = e.payload.command;
                    e.header.type = EventType::command;
                    e.header.source = engine::Source::control;
                    const auto code = parse_command_code(fields[c.command]);
                    if (!code) {
                        fail(c.command + 1, "'" + std::string(fields[c.command]) +
                                                "' is not a command (kill, unkill, pause, "
                                                "resume, limit_stage, limit_commit, "
                                                "limit_discard)");
                        return false;
                    }
                    cmd.code = *code;
                    if (c.arg != -1 && !fields[c.arg].empty()) {
                        std::int64_t raw = 0;
                        if (engine::parse_decimal(fields[c.arg], raw) != engine::DecimalError::ok ||
                            raw % engine::kScale != 0) {
                            fail(c.arg + 1,
                                 "'" + std::string(fields[c.arg]) + "' is not an integer argument");
                            return false;
                        }
                        cmd.arg = raw / engine::kScale;
                    }
                    if (*code == engine::CommandCode::limit_stage) {
                        const auto limit = c.limit == -1
                                               ? std::nullopt
                                               : engine::parse_risk_limit(fields[c.limit]);
                        if (!limit) {
                            fail(c.limit == -1 ? 1 : c.limit + 1,
                                 "limit_stage needs a 'limit' column naming a risk limit "
                                 "(e.g. max_order_qty)");
                            return false;
                        }
                        cmd.param = static_cast<std::uint16_t>(*limit);
                        std::int64_t raw = 0;
                        if (c.value == -1 || engine::parse_decimal(fields[c.value], raw) !=
                                                 engine::DecimalError::ok) {
                            fail(c.value == -1 ? 1 : c.value + 1,
                                 "limit_stage needs a decimal 'value'");
                            return false;
                        }
                        // Quantities, money and percentages are fixed-point; counts, times and
                        // minutes are plain integers.
                        if (!engine::risk_limit_is_fixed_point(*limit)) {
                            if (raw % engine::kScale != 0) {
                                fail(c.value + 1, "'" + std::string(fields[c.value]) +
                                                      "' must be a whole number for this limit");
                                return false;
                            }
                            raw /= engine::kScale;
                        }
                        cmd.arg = raw;
                    }
                    break;
                }
            }
            if (!sym_name.empty()) {
                const auto id = symbols.intern(sym_name);
                if (!id) {
                    fail(file_symbol ? 1 : c.symbol + 1,
                         "cannot intern symbol '" + std::string(sym_name) + "' (longer than " +
                             std::to_string(engine::kSymbolNameMax) + " bytes, or table full)");
                    return false;
                }
                e.header.symbol = *id;
                if (std::find(first_seen.begin(), first_seen.end(), *id) == first_seen.end())
                    first_seen.push_back(*id);
            }
            return true;
        };

        while (std::getline(in, line)) {
            ++line_no;
            if (trim(line).empty())
                continue;
            Row row{};
            if (!parse_row(row)) {
                // Skipped rows are counted per file and the first is named: never silent.
                if (!options.skip_bad_rows)
                    return std::nullopt;
                if (file_stats.skipped_rows++ == 0)
                    file_stats.first_skipped = error;
                ++src.stats_.skipped_rows;
                error.clear();
                continue;
            }
            switch (c.kind) {
                case Kind::bars:
                    ++src.stats_.bars;
                    break;
                case Kind::trades:
                    ++src.stats_.trades;
                    break;
                case Kind::quotes:
                    ++src.stats_.quotes;
                    break;
                case Kind::alerts:
                    ++src.stats_.alerts;
                    break;
                case Kind::commands:
                    ++src.stats_.commands;
                    break;
            }
            ++src.stats_.rows;
            ++file_stats.rows;
            rows.push_back(row);
        }
        if (in.bad()) {
            error = name + ": read error after line " + std::to_string(line_no);
            return std::nullopt;
        }
        src.stats_.files.push_back(std::move(file_stats));
    }

    // Merge by time; rows were appended in (file, line) order, so ties keep it (the index breaks
    // them). The keys are sorted, not the rows: std::stable_sort's scratch buffer ignores the
    // 64-byte alignment of Event, and vector code then faults on it (seen with -march=native).
    std::vector<std::pair<std::int64_t, std::size_t>> order;
    order.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
        order.emplace_back(rows[i].event.header.ts_ns, i);
    std::sort(order.begin(), order.end());
    src.events_.reserve(first_seen.size() + rows.size());
    const std::int64_t first_ts = order.empty() ? 0 : order.front().first;
    std::sort(first_seen.begin(), first_seen.end());
    for (engine::SymbolId id : first_seen) {
        Event def =
            engine::make_event(EventType::symbol_def, engine::Source::feed, 0, first_ts, id);
        const std::string_view n = symbols.name(id);
        std::memcpy(def.payload.symbol_def.name, n.data(), n.size());
        src.events_.push_back(def);
    }
    for (const auto& [ts, i] : order)
        src.events_.push_back(rows[i].event);
    return src;
}

engine::InputSource::Poll CsvSource::poll(Event& out) noexcept {
    if (next_ >= events_.size())
        return Poll::exhausted;
    if (pace_events_per_s_ > 0) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        if (pace_start_ns_ < 0)
            pace_start_ns_ = now;
        const auto due = pace_start_ns_ +
                         static_cast<std::int64_t>(static_cast<engine::i128>(next_ - pace_from_) *
                                                   1'000'000'000 / pace_events_per_s_);
        if (now < due)
            return Poll::idle;
    }
    out = events_[next_++];
    return Poll::event;
}

void CsvSource::skip(std::size_t n) noexcept {
    next_ = std::min(events_.size(), next_ + n);
    pace_from_ = next_;
    pace_start_ns_ = -1;
}

}  // namespace keel::adapters
