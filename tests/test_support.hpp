// Small fakes shared by the tests: an Emit that records into preallocated storage (so it is
// safe on a hot thread), a vector-backed input source, and a venue that records submissions.
#pragma once

#include <atomic>
#include <vector>

#include "keel/engine/assert.hpp"
#include "keel/engine/stage.hpp"

namespace keel::test {

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
    engine::Event e =
        engine::make_event(engine::EventType::trade, engine::Source::feed, 0, ts_ns, sym);
    e.payload.trade.price = engine::Price::from_units(price_units);
    e.payload.trade.size = engine::Quantity::from_units(1);
    return e;
}

}  // namespace keel::test
