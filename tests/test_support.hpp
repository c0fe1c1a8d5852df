// Small fakes shared by the tests: an Emit that records into preallocated storage (so it is
// safe on a hot thread), a vector-backed input source, and a venue that records submissions.
#pragma once

#include <filesystem>
#include <optional>

#include "keel/journal/manifest.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/strategy/strategies/sma_cross.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "keel/replay/assembly/assembly.hpp"

namespace keel::test {

// Makes a cleanly closed journal look like one a crashed process left (its manifest open, no
// seals), for tests that then cut a tail as a crash mid-append would: in a closed journal that
// cut is damage, in a crashed one a torn tail. A journal without a manifest is left alone.
inline void mark_crashed(const std::filesystem::path& dir) {
    std::optional<journal::Manifest> m;
    if (!journal::read_manifest(dir, m).ok() || !m)
        return;
    m->closed = false;
    m->seals.clear();
    (void)journal::write_manifest(dir, *m);
}

class Recorder final : public engine::Emit {
  public:
    explicit Recorder(std::size_t capacity = 1 << 20) { events_.reserve(capacity); }
    void emit(const engine::Event& e) noexcept override {
        KEEL_ASSERT(events_.size() < events_.capacity(), "recorder full");
        events_.push_back(e);
    }
    [[nodiscard]] const std::vector<engine::Event>& events() const { return events_; }
    [[nodiscard]] std::vector<engine::Event> of_type(engine::EventType t) const {
        std::vector<engine::Event> out;
        for (const auto& e : events_) {
            if (e.header.type == t)
                out.push_back(e);
        }
        return out;
    }
    void clear() { events_.clear(); }

  private:
    std::vector<engine::Event> events_;
};

// An EventLog that refuses every append, as a full disk would.
class RefusingLog final : public engine::EventLog {
  public:
    bool append(const engine::Event&, const void*, std::uint32_t) noexcept override {
        ++attempts;
        return false;
    }
    int attempts = 0;
};

class VectorSource final : public engine::InputSource {
  public:
    explicit VectorSource(std::vector<engine::Event> events) : events_(std::move(events)) {}
    Poll poll(engine::Event& out) noexcept override {
        if (next_ == events_.size())
            return Poll::exhausted;
        out = events_[next_++];
        return Poll::event;
    }

  private:
    std::vector<engine::Event> events_;
    std::size_t next_ = 0;
};

// A generated session input on one symbol, USDCHF (id 0): make() gives the source once the
// symbol table has it.
inline replay::GeneratedInput usdchf_input(std::function<engine::InputSource*()> make) {
    return replay::GeneratedInput{
        [make = std::move(make)](engine::SymbolTable& symbols,
                                 std::string& err) -> engine::InputSource* {
            if (!symbols.intern("USDCHF")) {
                err = "cannot define USDCHF";
                return nullptr;
            }
            return make();
        }};
}

class RecordingVenue final : public engine::Venue {
  public:
    RecordingVenue() { submitted.reserve(1024); }
    void submit(const engine::Event& e) noexcept override { submitted.push_back(e); }
    std::vector<engine::Event> submitted;
};

class RecordingReplies final : public engine::ReplySink {
  public:
    RecordingReplies() { posted.reserve(1024); }
    void post(const engine::Event& e) noexcept override { posted.push_back(e); }
    std::vector<engine::Event> posted;
};

inline engine::Event trade(engine::SymbolId sym, std::int64_t ts_ns, std::int64_t price_units) {
    engine::Event e = engine::make_event(engine::EventType::trade, engine::Source::feed,
                                         static_cast<std::uint64_t>(ts_ns), ts_ns, sym);
    e.payload.trade.price = engine::Price::from_units(price_units);
    e.payload.trade.size = engine::Quantity::from_units(1);
    return e;
}

// sma_cross strategies, one per (symbol, allow_short) pair, with a fixed size.
inline std::vector<std::unique_ptr<engine::Strategy>> sma_strategies(
    std::initializer_list<std::pair<engine::SymbolId, bool>> symbols, std::uint32_t fast,
    std::uint32_t slow, std::int64_t quantity_units) {
    std::vector<std::unique_ptr<engine::Strategy>> v;
    for (auto [symbol, allow_short] : symbols) {
        engine::SmaCrossParams p;
        p.symbol = symbol;
        p.fast = fast;
        p.slow = slow;
        p.sizing = engine::SizingPolicy::fixed(engine::Quantity::from_units(quantity_units));
        p.allow_short = allow_short;
        v.push_back(std::make_unique<engine::SmaCrossStrategy>(p));
    }
    return v;
}

inline engine::StrategyStage sma_stage(std::initializer_list<std::pair<engine::SymbolId, bool>> s,
                                       std::uint32_t fast, std::uint32_t slow,
                                       std::int64_t quantity_units,
                                       std::size_t symbol_capacity = 4) {
    return engine::StrategyStage(sma_strategies(s, fast, slow, quantity_units),
                                 {symbol_capacity, engine::Money::from_units(1'000'000), 4096});
}

// A bar of one interval (aux = 1 minute) whose open, high, low and close are all price_units.
inline engine::Event bar(engine::SymbolId sym, std::int64_t ts_ns, std::int64_t price_units,
                         std::int64_t volume_units = 1000) {
    engine::Event e = engine::make_event(engine::EventType::bar, engine::Source::feed,
                                         static_cast<std::uint64_t>(ts_ns), ts_ns, sym);
    e.header.aux = 1;
    const engine::Price p = engine::Price::from_units(price_units);
    e.payload.bar = {p, p, p, p, engine::Quantity::from_units(volume_units)};
    return e;
}

// The complete fill of an order request (or order_sent) at price_units.
inline engine::Event fill_of(const engine::Event& order, std::int64_t price_units) {
    engine::Event f =
        engine::make_event(engine::EventType::venue_fill, engine::Source::venue,
                           order.header.seq + 1, order.header.ts_ns + 1, order.header.symbol);
    f.header.aux = order.header.aux;
    f.payload.fill.order_id = order.payload.order.order_id;
    f.payload.fill.side = order.payload.order.side;
    f.payload.fill.quantity = order.payload.order.quantity;
    f.payload.fill.price = engine::Price::from_units(price_units);
    f.payload.fill.flags = engine::kFillFinal;
    return f;
}

// An external alert about sym asking for action, at seq (ts = seq); quantity, notional, price
// and timeframe are zero (not given) for the test to set.
inline engine::Event alert(engine::SymbolId sym, std::uint64_t seq, engine::AlertAction action,
                           std::uint64_t key = 0) {
    engine::Event e = engine::make_event(engine::EventType::alert, engine::Source::webhook, seq,
                                         static_cast<std::int64_t>(seq), sym);
    e.payload.alert.action = action;
    e.payload.alert.alert_key = key == 0 ? seq : key;
    return e;
}

// A timer of kind for sym at ts_ns; a bar_close timer carries its interval in aux and the
// bar's open time in period_start_ns.
inline engine::Event timer(engine::SymbolId sym, std::uint64_t seq, std::int64_t ts_ns,
                           engine::TimerKind kind, std::uint16_t interval_minutes = 0) {
    engine::Event e =
        engine::make_event(engine::EventType::timer, engine::Source::engine, seq, ts_ns, sym);
    e.header.aux = interval_minutes;
    e.payload.timer.kind = kind;
    e.payload.timer.period_start_ns =
        ts_ns - static_cast<std::int64_t>(interval_minutes) * engine::kNsPerMinute;
    return e;
}

// A trade with its own sequence number and size (test::trade uses ts as seq and size 1).
inline engine::Event sized_trade(engine::SymbolId sym, std::uint64_t seq, std::int64_t ts_ns,
                                 engine::Price price, engine::Quantity size) {
    engine::Event e =
        engine::make_event(engine::EventType::trade, engine::Source::feed, seq, ts_ns, sym);
    e.payload.trade.price = price;
    e.payload.trade.size = size;
    return e;
}

// A venue reply (venue_ack, venue_cancel, order_denied, ...) about an order request.
inline engine::Event reply_to(const engine::Event& order, engine::EventType type, std::uint64_t seq,
                              engine::Reason reason = engine::Reason::none) {
    engine::Event r = engine::make_event(type, engine::Source::venue, seq,
                                         static_cast<std::int64_t>(seq), order.header.symbol);
    r.header.aux = order.header.aux;
    r.payload.order = order.payload.order;
    r.payload.order.reason = reason;
    return r;
}

}  // namespace keel::test
