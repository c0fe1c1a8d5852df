// Proves input events carry tails through the pipeline (engine/pipeline/tail_arena.hpp): the
// arena hands a tail to the input that owns it and to no derived event, and reuses slots only a
// whole arena later; in a real threaded session, alerts with 2 KiB bodies are journaled as one
// record with their body, a stage reads every body while the alert is in flight and
// alert_follower places the order each body asks for (a GTC limit, parsed from the tail on the
// strategy's thread), all under the allocation guard (no hot-path allocation with tails
// flowing), and a replay re-runs the journaled tails and verifies byte for byte.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/replay/replay.hpp"
#include "keel/replay/session/session.hpp"
#include "test_support.hpp"

using namespace keel;
using engine::Event;
using engine::EventType;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

Event input(EventType type, std::uint64_t seq) {
    return engine::make_event(type, engine::Source::webhook, seq, kT0, 0);
}

std::string_view store(engine::TailArena& arena, std::uint64_t seq, std::string_view bytes) {
    arena.store(seq, bytes);
    return arena.tail(input(EventType::alert, seq));
}

// Generated inputs, some with tails, written where ingest offers room.
class TailSource final : public engine::InputSource {
  public:
    explicit TailSource(std::vector<std::pair<Event, std::string>> inputs)
        : inputs_(std::move(inputs)) {}
    Poll poll(Event& out) noexcept override {
        engine::TailOut none;
        return poll(out, none);
    }
    Poll poll(Event& out, engine::TailOut& tail) noexcept override {
        if (next_ == inputs_.size())
            return Poll::exhausted;
        const auto& [event, bytes] = inputs_[next_++];
        out = event;
        (void)tail.put(bytes);
        return Poll::event;
    }

  private:
    std::vector<std::pair<Event, std::string>> inputs_;
    std::size_t next_ = 0;
};

// Wraps the strategy stage: for every alert, reads its tail and checks it is the body made for
// its key. Runs on the strategy's thread; counts only (no allocation).
class TailReader final : public engine::Stage {
  public:
    TailReader(engine::Stage& inner, const engine::TailArena* const& tails)
        : inner_(inner), tails_(tails) {}
    std::string_view name() const noexcept override { return inner_.name(); }
    void on_start() override { inner_.on_start(); }
    std::size_t emit_budget() const noexcept override { return inner_.emit_budget(); }
    void on_event(const Event& e, engine::Emit& out) noexcept override {
        if (e.header.type == EventType::alert) {
            const std::string_view tail = tails_->tail(e);
            char want[40];
            const int n = std::snprintf(want, sizeof want, "{\"id\":\"alert-%llu\"",
                                        static_cast<unsigned long long>(e.payload.alert.alert_key));
            if (tail.size() == 2048 && tail.substr(0, static_cast<std::size_t>(n)) ==
                                           std::string_view(want, static_cast<std::size_t>(n)))
                ++read_ok;
            else
                ++read_bad;
        } else if (!tails_->tail(e).empty()) {
            ++read_bad;  // only the alerts carry tails
        }
        inner_.on_event(e, out);
    }
    void on_close() noexcept override { inner_.on_close(); }
    void write_snapshot(engine::StateSnapshot& s) const noexcept override {
        inner_.write_snapshot(s);
    }
    int read_ok = 0;
    int read_bad = 0;

  private:
    engine::Stage& inner_;
    const engine::TailArena* const& tails_;
};

// The JSON body of alert `key`, padded to 2048 bytes; it asks for a GTC limit order at 1.25,
// which alert_follower reads from it on the strategy's thread (strategy/alert_order.hpp).
std::string body(std::uint64_t key) {
    std::string b = "{\"id\":\"alert-" + std::to_string(key) +
                    "\",\"ticker\":\"USDCHF\",\"action\":\"buy\",\"order_type\":\"limit\","
                    "\"limit_price\":\"1.25\",\"time_in_force\":\"gtc\",\"note\":\"";
    b.append(2048 - b.size() - 2, 'x');
    b += "\"}";
    return b;
}

}  // namespace

TEST(TailArena, GivesATailToTheInputThatOwnsItOnly) {
    engine::TailArena arena(8);
    EXPECT_EQ(arena.slots(), 8u);
    EXPECT_EQ(store(arena, 5, "hello"), "hello");
    EXPECT_TRUE(arena.tail(input(EventType::alert, 6)).empty()) << "another input";
    EXPECT_TRUE(arena.tail(input(EventType::trade, 13)).empty()) << "the same slot, 8 later";
    Event derived = engine::make_event(EventType::signal, engine::Source::strategy, 5, kT0, 0);
    EXPECT_TRUE(arena.tail(derived).empty()) << "a derived event shares its cause's seq only";
}

TEST(TailArena, ReusesASlotOnlyAfterEveryOtherSlotHasBeenUsed) {
    engine::TailArena arena(4);
    for (std::uint64_t seq = 1; seq <= 4; ++seq)
        (void)store(arena, seq, std::string(seq, static_cast<char>('a' + seq)));
    for (std::uint64_t seq = 1; seq <= 4; ++seq)
        EXPECT_EQ(arena.tail(input(EventType::alert, seq)), std::string(seq, char('a' + seq)));
    EXPECT_EQ(store(arena, 5, "e"), "e");  // the first slot again, and seq 1 is gone
    EXPECT_TRUE(arena.tail(input(EventType::alert, 1)).empty());
    EXPECT_EQ(arena.tail(input(EventType::alert, 2)), "cc");
}

TEST(Tails, AlertBodiesAreJournaledReadInFlightAndReplayed) {
    const char* config = R"({
      "session": {"name": "tails"},
      "data": {"files": [{"path": "../data/usdchf_30m.csv", "symbol": "USDCHF"}]},
      "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}],
      "account": {"starting_cash": "1000000"},
      "risk": {"max_order_qty": "100000"},
      "venue": {"type": "sim"},
      "rings": {"capacity": 64},
      "threads": [{"name": "in", "stages": ["ingest", "strategy"], "idle": "yield"},
                  {"name": "out", "stages": ["risk", "gateway"], "idle": "yield"}]
    })";
    const engine::ConfigResult cr =
        engine::parse_config(config, "tails.json", fs::path(KEEL_SOURCE_DIR) / "config", {});
    ASSERT_TRUE(cr.ok()) << (cr.errors.empty() ? "" : cr.errors[0].path + ": " + cr.errors[0].message);
    const fs::path dir = fs::temp_directory_path() / ("keel_tails_" + std::to_string(::getpid()));
    fs::remove_all(dir);

    // 2000 alerts with 2 KiB bodies among trades: many times the arena's slots, so they are
    // reused while the rings are full.
    std::vector<std::pair<Event, std::string>> inputs;
    Event def = engine::make_event(EventType::symbol_def, engine::Source::feed, 0, kT0, 0);
    std::memcpy(def.payload.symbol_def.name, "USDCHF", 6);
    inputs.emplace_back(def, "");
    int second = 0;
    for (std::uint64_t key = 1; key <= 2000; ++key) {
        Event t = engine::make_event(EventType::trade, engine::Source::feed, 0,
                                     kT0 + ++second * kSecond, 0);
        (void)engine::Price::parse("1.2", t.payload.trade.price);
        t.payload.trade.size = engine::Quantity::from_units(1000);
        inputs.emplace_back(t, "");
        Event a = engine::make_event(EventType::alert, engine::Source::webhook, 0,
                                     kT0 + ++second * kSecond, 0);
        a.payload.alert.action = key % 2 == 1 ? engine::AlertAction::buy : engine::AlertAction::close;
        a.payload.alert.alert_key = key;
        a.payload.alert.quantity = engine::Quantity::from_units(1000);
        inputs.emplace_back(a, body(key));
    }

    std::optional<TailSource> source;
    std::optional<TailReader> reader;
    const engine::TailArena* tails = nullptr;
    replay::SessionOptions so;
    so.journal_dir = dir;
    so.input = test::usdchf_input([&]() -> engine::InputSource* {
        source.emplace(inputs);
        return &*source;
    });
    so.wrap_stage = [&](std::size_t index, engine::Stage& stage) -> engine::Stage& {
        if (index != 1)
            return stage;
        reader.emplace(stage, tails);
        return *reader;
    };
    so.on_start = [&](const replay::SessionView& view, std::string&) {
        tails = view.tails;
        return tails != nullptr;
    };
    std::atomic<bool> stop{false};
    std::string error;
    const auto report = replay::run_session(cr.config, stop, so, error);
    ASSERT_TRUE(report) << error;
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->read_ok, 2000) << "every alert's body read in flight";
    EXPECT_EQ(reader->read_bad, 0);

    // Journaled: each alert's record is the event followed by its body.
    replay::JournaledSession session;
    ASSERT_TRUE(replay::read_session(dir, session, error)) << error;
    ASSERT_EQ(session.inputs.tail_count(), 2000u);
    for (std::size_t i = 0; i < session.inputs.events().size(); ++i) {
        const Event& e = session.inputs.events()[i];
        const std::string_view bytes = session.inputs.tail_of(i);
        if (e.header.type == EventType::alert)
            EXPECT_EQ(bytes, body(e.payload.alert.alert_key));
        else
            EXPECT_TRUE(bytes.empty()) << "only the alerts carry tails";
    }

    // The strategy read each buy's order from its body: every buy went out as a GTC limit at
    // 1.25 (and filled at the next trade, at 1.2), every close at market.
    std::vector<replay::JournaledRecord> gateway;
    ASSERT_TRUE(replay::read_records(dir, "gateway", gateway, error)) << error;
    int limits = 0;
    int markets = 0;
    for (const replay::JournaledRecord& r : gateway) {
        Event e;
        std::memcpy(&e, r.bytes.data(), sizeof e);
        if (e.header.type != EventType::order_sent)
            continue;
        const engine::OrderPayload& o = e.payload.order;
        if (o.side == engine::Side::buy) {
            limits += o.order_type == engine::OrderType::limit &&
                      o.tif == engine::TimeInForce::gtc &&
                      o.price.raw == engine::Price::from_units(1).raw / 4 * 5;
        } else {
            markets += o.order_type == engine::OrderType::market;
        }
    }
    EXPECT_EQ(limits, 1000);
    EXPECT_EQ(markets, 1000);
    EXPECT_EQ(report->fills, 1999u);  // the last close has no trade after it to fill at

    // Replayed: the tails go back in and every record comes out the same.
    replay::ReplayOptions ro;
    ro.verify = true;
    const replay::ReplayOutcome outcome = replay::rerun_journal(dir, ro);
    EXPECT_TRUE(outcome.error.empty()) << outcome.error;
    EXPECT_FALSE(outcome.divergence.has_value())
        << "diverged in " << outcome.divergence->stream << " at " << outcome.divergence->seq
        << ": journaled " << (outcome.divergence->expected ? outcome.divergence->expected->bytes.size() : 0)
        << " bytes, replayed " << (outcome.divergence->actual ? outcome.divergence->actual->bytes.size() : 0);
    fs::remove_all(dir);
}
