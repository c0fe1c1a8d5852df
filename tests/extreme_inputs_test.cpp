// The extreme values of every numeric field of every external input type, injected straight
// into a real session (ingest, strategy, risk, gateway, the simulated venue, a journal), past
// every adapter's own checks, while an alert-opened position is held. For each case the process
// survives, the session runs to its end, and the case is journaled as a refusal or an alert:
// market data and alerts out of range as input_refused (ingest), a venue fill the book or the
// account cannot apply as an engine_alert (gateway), a limit command out of range as a refused
// limit change (risk). `keel replay --verify` material: the journal verifies.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/core/input_check.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/journal/reader.hpp"
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

const char* kConfig = R"({
  "session": {"name": "extreme"},
  "data": {"files": [{"path": "../data/usdchf_30m.csv", "symbol": "USDCHF"}]},
  "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}],
  "account": {"starting_cash": "1000000"},
  "risk": {"max_order_qty": "100000"},
  "venue": {"type": "sim"},
  "journal": {"segment_mb": 1},
  "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"],
               "idle": "yield"}]
})";

Event at(Event e, int second) {
    e.header.ts_ns = kT0 + second * kSecond;
    return e;
}

Event trade(const char* price, int second) {
    Event e = engine::make_event(EventType::trade, engine::Source::feed, 0, 0, 0);
    (void)engine::Price::parse(price, e.payload.trade.price);
    e.payload.trade.size = engine::Quantity::from_units(1000);
    return at(e, second);
}

Event alert(engine::AlertAction action, std::uint64_t key, int second) {
    Event e = engine::make_event(EventType::alert, engine::Source::webhook, 0, 0, 0);
    e.payload.alert.action = action;
    e.payload.alert.alert_key = key;
    e.payload.alert.quantity = engine::Quantity::from_units(1000);
    return at(e, second);
}

// One case: the input to inject (at second 10, with a position open) and what must be
// journaled for it.
struct Case {
    std::string name;
    Event input;
    std::function<bool(const std::vector<replay::JournaledRecord>& inputs,
                       const std::vector<replay::JournaledRecord>& gateway,
                       const std::vector<replay::JournaledRecord>& risk)>
        journaled;
};

Event payload_of(const replay::JournaledRecord& r) {
    Event e{};
    std::memcpy(&e, r.bytes.data(), sizeof e);
    return e;
}

bool has_input_refused(const std::vector<replay::JournaledRecord>& inputs, EventType type,
                       engine::InputField field, std::int64_t value) {
    for (const auto& r : inputs) {
        if (r.type != static_cast<std::uint16_t>(EventType::input_refused))
            continue;
        const Event e = payload_of(r);
        if (e.payload.input_refused.refused_type == type &&
            e.payload.input_refused.field == field && e.payload.input_refused.value == value)
            return true;
    }
    return false;
}

bool has_type(const std::vector<replay::JournaledRecord>& records, EventType type) {
    for (const auto& r : records)
        if (r.type == static_cast<std::uint16_t>(type))
            return true;
    return false;
}

const std::vector<std::int64_t> kExtremes = {INT64_MIN, -1, engine::kMaxInputRaw + 1, INT64_MAX};

// Market data and alert fields: each extreme is refused by ingest, naming field and value.
// slot_in_base: where the field's raw value lies in base; each case is a copy of base with
// that value set to one extreme.
void add_refused(std::vector<Case>& cases, const std::string& type_name, const Event& base,
                 engine::InputField field, const std::int64_t* slot_in_base) {
    const std::ptrdiff_t offset =
        reinterpret_cast<const char*>(slot_in_base) - reinterpret_cast<const char*>(&base);
    // -1 is a trade's or quote's size's (and a bar's volume's) "size unknown" marker (engine::kSizeUnknown), which ingest
    // accepts: for sizes the next negative value stands in for it.
    const bool size = field == engine::InputField::size || field == engine::InputField::bid_size ||
                      field == engine::InputField::ask_size ||
                      field == engine::InputField::volume;
    for (const std::int64_t extreme : kExtremes) {
        const std::int64_t v = size && extreme == engine::kSizeUnknown.raw ? extreme - 1 : extreme;
        Event e = base;
        std::memcpy(reinterpret_cast<char*>(&e) + offset, &v, sizeof v);
        Case c;
        c.name = type_name + "." + std::string(engine::to_string(field)) + "=" + std::to_string(v);
        c.input = at(e, 10);
        const EventType type = base.header.type;
        c.journaled = [type, field, v](const auto& inputs, const auto&, const auto&) {
            return has_input_refused(inputs, type, field, v);
        };
        cases.push_back(c);
    }
}

std::vector<Case> cases() {
    std::vector<Case> out;
    Event t = engine::make_event(EventType::trade, engine::Source::feed, 0, 0, 0);
    t.payload.trade.price = engine::Price::from_units(1);
    t.payload.trade.size = engine::Quantity::from_units(1);
    add_refused(out, "trade", t, engine::InputField::price, &t.payload.trade.price.raw);
    t.payload.trade.price = engine::Price::from_units(1);
    add_refused(out, "trade", t, engine::InputField::size, &t.payload.trade.size.raw);

    Event q = engine::make_event(EventType::quote, engine::Source::feed, 0, 0, 0);
    q.payload.quote = {engine::Price::from_units(1), engine::Quantity::from_units(1),
                       engine::Price::from_units(1), engine::Quantity::from_units(1)};
    const engine::QuotePayload q0 = q.payload.quote;
    add_refused(out, "quote", q, engine::InputField::bid, &q.payload.quote.bid.raw);
    q.payload.quote = q0;
    add_refused(out, "quote", q, engine::InputField::bid_size, &q.payload.quote.bid_size.raw);
    q.payload.quote = q0;
    add_refused(out, "quote", q, engine::InputField::ask, &q.payload.quote.ask.raw);
    q.payload.quote = q0;
    add_refused(out, "quote", q, engine::InputField::ask_size, &q.payload.quote.ask_size.raw);

    Event b = engine::make_event(EventType::bar, engine::Source::feed, 0, 0, 0);
    b.header.aux = 1;
    const engine::BarPayload b0{engine::Price::from_units(1), engine::Price::from_units(2),
                                engine::Price::from_units(1), engine::Price::from_units(1),
                                engine::Quantity::from_units(1)};
    b.payload.bar = b0;
    add_refused(out, "bar", b, engine::InputField::volume, &b.payload.bar.volume.raw);
    // A bar's prices: each extreme is refused in the field the bar's order breaks first.
    for (const std::int64_t v : kExtremes) {
        for (int which = 0; which < 4; ++which) {
            Event e = b;
            engine::Price& p = which == 0   ? e.payload.bar.open
                               : which == 1 ? e.payload.bar.high
                               : which == 2 ? e.payload.bar.low
                                            : e.payload.bar.close;
            p = engine::Price::from_raw(v);
            Case c;
            c.name = "bar.price" + std::to_string(which) + "=" + std::to_string(v);
            c.input = at(e, 10);
            c.journaled = [](const auto& inputs, const auto&, const auto&) {
                return has_type(inputs, EventType::input_refused) &&
                       !has_type(inputs, EventType::bar);
            };
            out.push_back(c);
        }
    }

    Event a = alert(engine::AlertAction::buy, 77, 0);
    const engine::AlertPayload a0 = a.payload.alert;
    add_refused(out, "alert", a, engine::InputField::quantity, &a.payload.alert.quantity.raw);
    a.payload.alert = a0;
    add_refused(out, "alert", a, engine::InputField::notional, &a.payload.alert.notional.raw);
    a.payload.alert = a0;
    add_refused(out, "alert", a, engine::InputField::price, &a.payload.alert.price.raw);

    // Venue fills with extreme figures: for an order the book does not know, or of sizes and
    // prices the account cannot book. The gateway alerts; nothing aborts.
    for (const std::int64_t v : kExtremes) {
        for (int which = 0; which < 3; ++which) {
            Event f = engine::make_event(EventType::venue_fill, engine::Source::venue, 0, 0, 0);
            f.payload.fill.order_id = 999'999;
            f.payload.fill.side = engine::Side::buy;
            f.payload.fill.price = engine::Price::from_units(1);
            f.payload.fill.quantity = engine::Quantity::from_units(1);
            (which == 0   ? f.payload.fill.price.raw
             : which == 1 ? f.payload.fill.quantity.raw
                          : f.payload.fill.fee.raw) = v;
            Case c;
            c.name = "venue_fill.field" + std::to_string(which) + "=" + std::to_string(v);
            c.input = at(f, 10);
            c.journaled = [](const auto&, const auto& gateway, const auto&) {
                return has_type(gateway, EventType::engine_alert);
            };
            out.push_back(c);
        }
    }

    // Limit changes past every limit's range: risk refuses the staged value.
    for (std::uint16_t id = 1; id < static_cast<std::uint16_t>(engine::RiskLimit::restricted_symbol);
         ++id) {
        // Dates (pdt_effective_*) are timestamps, any non-negative one valid: past their range
        // is below zero.
        const auto limit = static_cast<engine::RiskLimit>(id);
        const bool date = limit == engine::RiskLimit::pdt_effective_from_ns ||
                          limit == engine::RiskLimit::pdt_effective_to_ns;
        for (const std::int64_t v : {INT64_MIN, date ? std::int64_t{-1} : INT64_MAX}) {
            Event cmd = engine::make_event(EventType::command, engine::Source::control, 0, 0,
                                           engine::kNoSymbol);
            cmd.payload.command.code = engine::CommandCode::limit_stage;
            cmd.payload.command.param = id;
            cmd.payload.command.arg = v;
            Case c;
            c.name = "limit." + std::string(engine::to_string(static_cast<engine::RiskLimit>(id))) +
                     "=" + std::to_string(v);
            c.input = at(cmd, 10);
            c.journaled = [](const auto& inputs, const auto&, const auto& risk) {
                return has_type(inputs, EventType::command) &&
                       has_type(risk, EventType::risk_state);
            };
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

TEST(ExtremeInputs, EveryFieldAtItsExtremesIsRefusedOrAlertedAndTheSessionRunsOn) {
    // The data section must name a file that exists; the session's input is generated.
    const engine::ConfigResult cr = engine::parse_config(
        kConfig, "extreme.json", fs::path(KEEL_SOURCE_DIR) / "config", {});
    ASSERT_TRUE(cr.ok()) << (cr.errors.empty() ? "" : cr.errors[0].path + ": " + cr.errors[0].message);
    const fs::path dir = fs::temp_directory_path() / ("keel_extreme_" + std::to_string(::getpid()));
    int n = 0;
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        fs::remove_all(dir);
        std::vector<Event> events = {
            engine::make_event(EventType::symbol_def, engine::Source::feed, 0, kT0, 0),
            trade("1.2", 1),
            trade("1.2", 2),
            alert(engine::AlertAction::buy, 1, 3),
            trade("1.2001", 4),  // the alert's market order fills here: a position is open
            c.input,
            trade("1.2002", 11),
            alert(engine::AlertAction::close, 2, 12),
            trade("1.2003", 13),
        };
        std::optional<test::VectorSource> source;
        replay::SessionOptions so;
        so.journal_dir = dir;
        so.input = test::usdchf_input([&]() -> engine::InputSource* {
            source.emplace(events);
            return &*source;
        });
        std::atomic<bool> stop{false};
        std::string error;
        const auto report = replay::run_session(cr.config, stop, so, error);
        ASSERT_TRUE(report) << error;
        EXPECT_EQ(report->fills, 2u) << "the position opened and closed around the case";
        std::vector<replay::JournaledRecord> inputs, gateway, risk;
        ASSERT_TRUE(replay::read_records(dir, "input", inputs, error)) << error;
        ASSERT_TRUE(replay::read_records(dir, "gateway", gateway, error)) << error;
        ASSERT_TRUE(replay::read_records(dir, "risk", risk, error)) << error;
        std::string types;
        for (const auto& r : inputs)
            types += std::string(engine::to_string(static_cast<EventType>(r.type))) + " ";
        EXPECT_TRUE(c.journaled(inputs, gateway, risk))
            << "not journaled as a refusal or alert; inputs: " << types;
        EXPECT_FALSE(journal::journal_damage(dir)) << "the journal verifies";
        ++n;
    }
    fs::remove_all(dir);
    EXPECT_GT(n, 100);
}
