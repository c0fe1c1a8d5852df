#include "keel/adapters/csv/csv_source.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "csv_file_reader.hpp"

namespace keel::adapters {
namespace {

using engine::Event;
using engine::EventType;

// A file's loaded and skipped rows added to the totals; every row of a file is of its kind.
void add_file_stats(CsvLoadStats& stats, const CsvFileStats& file, CsvRowKind kind) {
    stats.rows += file.rows;
    stats.skipped_rows += file.skipped_rows;
    stats.sorted_rows += file.sorted_rows;
    stats.unknown_size_rows += file.unknown_size_rows;
    switch (kind) {
        case CsvRowKind::bars:
            stats.bars += file.rows;
            break;
        case CsvRowKind::trades:
            stats.trades += file.rows;
            break;
        case CsvRowKind::quotes:
            stats.quotes += file.rows;
            break;
        case CsvRowKind::alerts:
            stats.alerts += file.rows;
            break;
        case CsvRowKind::commands:
            stats.commands += file.rows;
            break;
    }
    stats.files.push_back(file);
}

// Row indices in time order; rows were appended in (file, line) order, so ties keep it (the
// index breaks them). The keys are sorted, not the rows: std::stable_sort's scratch buffer
// ignores the 64-byte alignment of Event, and vector code then faults on it (seen with
// -march=native).
using RowOrder = std::vector<std::pair<std::int64_t, std::size_t>>;
RowOrder time_order(const std::vector<CsvRow>& rows) {
    RowOrder order;
    order.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
        order.emplace_back(rows[i].event.header.ts_ns, i);
    std::sort(order.begin(), order.end());
    return order;
}

// How messages name a file and its time column.
struct FileInfo {
    std::string name;
    std::size_t time_column = 1;
};

// Two bars of one symbol at one time (in one file or two) would count the same bar twice: the
// later row is a bad row (skipped and counted in its file's stats with skip_bad_rows). Trades
// and quotes may share a time.
bool drop_duplicate_bars(const std::vector<CsvRow>& rows, RowOrder& order,
                         const std::vector<FileInfo>& files, bool skip, CsvLoadStats& stats,
                         std::string& error) {
    std::vector<std::size_t> last;  // by symbol id: the row index of its last bar, + 1
    std::size_t keep = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const CsvRow& row = rows[order[k].second];
        const engine::Event& e = row.event;
        if (e.header.type == EventType::bar) {
            if (e.header.symbol >= last.size())
                last.resize(e.header.symbol + 1, 0);
            std::size_t& prev = last[e.header.symbol];
            if (prev != 0 && rows[prev - 1].event.header.ts_ns == e.header.ts_ns) {
                const CsvRow& first = rows[prev - 1];
                const std::string why = files[row.file].name + ":" + std::to_string(row.line) +
                                        ":" + std::to_string(files[row.file].time_column) +
                                        ": a second bar of this symbol at this time (the first: " +
                                        files[first.file].name + ":" + std::to_string(first.line) +
                                        ")";
                if (!skip) {
                    error = why;
                    return false;
                }
                CsvFileStats& f = stats.files[row.file];
                if (f.skipped_rows++ == 0)
                    f.first_skipped = why;
                --f.rows;
                --stats.rows;
                --stats.bars;
                ++stats.skipped_rows;
                continue;
            }
            prev = order[k].second + 1;
        }
        order[keep++] = order[k];
    }
    order.resize(keep);
    return true;
}

// The symbols the kept rows use, in id order: each gets one definition ahead of the data. A
// command about no symbol in particular (kNoSymbol) needs none.
std::vector<engine::SymbolId> symbols_used(const std::vector<CsvRow>& rows, const RowOrder& order) {
    std::vector<engine::SymbolId> ids;
    for (const auto& [ts, i] : order) {
        if (rows[i].event.header.symbol != engine::kNoSymbol)
            ids.push_back(rows[i].event.header.symbol);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

// The kept rows in time order: symbol definitions first (stamped at the first row's time), then
// the rows. tails: the rows' tails, by their event's index in the result (ascending).
std::vector<Event> build_events(std::vector<CsvRow>& rows, const RowOrder& order,
                                const engine::SymbolTable& symbols,
                                std::vector<std::pair<std::size_t, std::string>>& tails) {
    const std::vector<engine::SymbolId> ids = symbols_used(rows, order);
    std::vector<Event> events;
    events.reserve(ids.size() + order.size());
    const std::int64_t first_ts = order.empty() ? 0 : order.front().first;
    for (const engine::SymbolId id : ids) {
        Event def =
            engine::make_event(EventType::symbol_def, engine::Source::feed, 0, first_ts, id);
        const std::string_view n = symbols.name(id);
        std::memcpy(def.payload.symbol_def.name, n.data(), n.size());
        events.push_back(def);
    }
    for (const auto& [ts, i] : order) {
        if (!rows[i].tail.empty())
            tails.emplace_back(events.size(), std::move(rows[i].tail));
        events.push_back(rows[i].event);
    }
    return events;
}

}  // namespace

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
    std::vector<CsvRow> rows;
    std::vector<FileInfo> infos;
    for (std::size_t fi = 0; fi < files.size(); ++fi) {
        CsvFileReader reader(files[fi], fi, options, symbols);
        if (!reader.read(rows)) {
            error = reader.error();
            return std::nullopt;
        }
        add_file_stats(src.stats_, reader.stats(), reader.kind());
        infos.push_back({reader.stats().name, reader.time_column()});
    }
    RowOrder order = time_order(rows);
    if (!drop_duplicate_bars(rows, order, infos, options.skip_bad_rows, src.stats_, error))
        return std::nullopt;
    src.events_ = build_events(rows, order, symbols, src.tails_);
    src.aim_next_tail();
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

engine::InputSource::Poll CsvSource::poll(Event& out, engine::TailOut& tail) noexcept {
    tail.length = 0;
    const Poll p = poll(out);
    if (p == Poll::event && next_ - 1 == next_tail_at_) [[unlikely]] {
        (void)tail.put(tails_[next_tail_++].second);  // fits: an alert's order fields are short
        aim_next_tail();
    }
    return p;
}

void CsvSource::skip(std::size_t n) noexcept {
    next_ = std::min(events_.size(), next_ + n);
    while (next_tail_ < tails_.size() && tails_[next_tail_].first < next_)
        ++next_tail_;
    aim_next_tail();
    pace_from_ = next_;
    pace_start_ns_ = -1;
}

}  // namespace keel::adapters
