#include "keel/replay/reports/journal_tools.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "keel/adapters/webhook/alert_json.hpp"
#include "keel/adapters/webhook/webhook_receiver.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/exchange_time.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/orders/venue_id.hpp"
#include "keel/engine/pipeline/account_stages.hpp"
#include "keel/exit_code.hpp"
#include "keel/journal/reader.hpp"
#include "keel/journal/writer_lock.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/reports/fix_store.hpp"

namespace keel::replay {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;
using engine::Event;
using engine::EventType;

std::string iso_time(std::int64_t ns) {
    const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1'000'000'000));
    return buf;
}

std::string dec(std::int64_t raw) {
    return engine::decimal_string(raw);
}

// An enum by name, or by number when this binary does not know the value.
template <class E>
Json enum_json(E v) {
    const std::string_view name = engine::to_string(v);
    return name == "unknown" ? Json(static_cast<unsigned>(v)) : Json(std::string(name));
}

Json order_fields(const engine::OrderPayload& o, std::uint16_t strategy) {
    Json j;
    j["order_id"] = o.order_id;
    if (o.action != engine::OrderAction{})
        j["action"] = enum_json(o.action);
    j["side"] = std::string(engine::to_string(o.side));
    if (o.order_type != engine::OrderType{})
        j["order_type"] = enum_json(o.order_type);
    if (o.tif != engine::TimeInForce{})
        j["tif"] = enum_json(o.tif);
    j["price"] = dec(o.price.raw);
    if (o.stop_price.raw != 0)
        j["stop_price"] = dec(o.stop_price.raw);
    j["quantity"] = dec(o.quantity.raw);
    if (o.status != engine::OrderStatus{})
        j["status"] = enum_json(o.status);
    if (o.role != engine::OrderRole::none)
        j["role"] = enum_json(o.role);
    if (o.reason != engine::Reason::none)
        j["reason"] = enum_json(o.reason);
    j["strategy"] = strategy;
    return j;
}

// What the records that open a session name for the ones after them: symbols by id, and the
// venue id prefix the ids sent to venues start with.
struct RecordNames {
    std::map<engine::SymbolId, std::string> symbols;
    std::optional<std::uint64_t> venue_id_prefix;
};

// The fields of the records that open a session: its start (config hash, seed, venue id
// prefix, the config) and its symbol definitions, which name the symbol from then on.
void session_fields(Json& j, const Event& e, const journal::RecordView& r, RecordNames& names) {
    const engine::EventPayload& p = e.payload;
    if (e.header.type == EventType::session_start) {
        char hash[20];
        std::snprintf(hash, sizeof hash, "%016llx",
                      static_cast<unsigned long long>(p.session.config_hash));
        j["config_hash"] = hash;
        j["seed"] = p.session.seed;
        j["symbol_capacity"] = p.session.symbol_capacity;
        const auto prefix = engine::venue_id_prefix_chars(p.session.venue_id_prefix);
        j["venue_id_prefix"] = std::string(prefix.data(), prefix.size());
        names.venue_id_prefix = p.session.venue_id_prefix;
        const std::string text(reinterpret_cast<const char*>(r.payload) + sizeof e,
                               r.header->length - sizeof e);
        Json config = Json::parse(text, nullptr, false);
        j["config"] = config.is_discarded() ? Json(text) : config;
        return;
    }
    const std::string name(p.symbol_def.name, strnlen(p.symbol_def.name, sizeof p.symbol_def.name));
    names.symbols[e.header.symbol] = name;
    j["symbol"] = name;
    j["id"] = e.header.symbol;
}

// Market data: trades, quotes and bars.
void market_fields(Json& j, const Event& e) {
    const engine::EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::trade:
            j["price"] = dec(p.trade.price.raw);
            j["size"] = dec(p.trade.size.raw);
            break;
        case EventType::quote:
            j["bid"] = dec(p.quote.bid.raw);
            j["bid_size"] = dec(p.quote.bid_size.raw);
            j["ask"] = dec(p.quote.ask.raw);
            j["ask_size"] = dec(p.quote.ask_size.raw);
            break;
        case EventType::bar:
            j["open"] = dec(p.bar.open.raw);
            j["high"] = dec(p.bar.high.raw);
            j["low"] = dec(p.bar.low.raw);
            j["close"] = dec(p.bar.close.raw);
            j["volume"] = dec(p.bar.volume.raw);
            j["interval_min"] = e.header.aux;
            break;
        default:
            break;
    }
}

void fill_fields(Json& j, const Event& e) {
    const engine::FillPayload& f = e.payload.fill;
    j["order_id"] = f.order_id;
    j["side"] = std::string(engine::to_string(f.side));
    j["price"] = dec(f.price.raw);
    j["quantity"] = dec(f.quantity.raw);
    j["fee"] = dec(f.fee.raw);
    j["final"] = (f.flags & engine::kFillFinal) != 0;
    j["strategy"] = e.header.aux;
}

// What asks the engine to act: signals, alerts, commands and timers.
void request_fields(Json& j, const Event& e) {
    const engine::EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::signal:
            j["value"] = p.signal.value;
            j["strategy"] = p.signal.strategy;
            j["direction"] = p.signal.direction;
            if (p.signal.action != engine::AlertAction::none)
                j["action"] = enum_json(p.signal.action);
            if (p.signal.reason != engine::Reason::none)
                j["reason"] = enum_json(p.signal.reason);
            break;
        case EventType::alert:
            j["alert_key"] = p.alert.alert_key;
            j["action"] = enum_json(p.alert.action);
            j["quantity"] = dec(p.alert.quantity.raw);
            j["notional"] = dec(p.alert.notional.raw);
            j["price"] = dec(p.alert.price.raw);
            j["timeframe_min"] = p.alert.timeframe_minutes;
            j["flags"] = p.alert.flags;
            if (p.alert.received_s != 0)
                j["received_s"] = p.alert.received_s;
            break;
        case EventType::command:
            j["code"] = enum_json(p.command.code);
            j["param"] = p.command.param;
            j["arg"] = p.command.arg;
            break;
        case EventType::timer:
            j["timer_id"] = p.timer.timer_id;
            j["kind"] = enum_json(p.timer.kind);
            j["interval_min"] = e.header.aux;
            j["period_start_ns"] = p.timer.period_start_ns;
            break;
        default:
            break;
    }
}

// The engine's own state: risk flags, state hashes, restarts and the feed's health.
void state_fields(Json& j, const Event& e) {
    const engine::EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::risk_state:
            j["flags"] = p.risk_state.flags;
            j["killed"] = (p.risk_state.flags & engine::kRiskKilled) != 0;
            j["paused"] = (p.risk_state.flags & engine::kRiskPaused) != 0;
            j["halted"] = (p.risk_state.flags & engine::kRiskHalted) != 0;
            j["reason"] = enum_json(p.risk_state.reason);
            j["command"] = enum_json(static_cast<engine::CommandCode>(p.risk_state.command));
            j["value"] = p.risk_state.value;
            break;
        case EventType::state_hash: {
            char hash[20];
            std::snprintf(hash, sizeof hash, "%016llx",
                          static_cast<unsigned long long>(p.state_hash.hash));
            j["hash"] = hash;
            j["inputs"] = p.state_hash.inputs;
            break;
        }
        case EventType::day_closed:
            j["day_start"] = iso_time(p.day_closed.day_start_ns);
            j["day_pnl"] = dec(p.day_closed.day_pnl.raw);
            j["equity"] = dec(p.day_closed.equity.raw);
            j["fills"] = p.day_closed.fills;
            j["open_positions"] = p.day_closed.open_positions;
            break;
        case EventType::session_resume:
            j["gateway_records"] = p.resume.gateway_records;
            j["unsent"] = p.resume.unsent;
            break;
        case EventType::feed_status:
            j["state"] = enum_json(p.feed_status.state);
            j["last_data_ts_ns"] = p.feed_status.last_data_ts_ns;
            j["stale_after_ms"] = p.feed_status.stale_after_ms;
            break;
        case EventType::venue_status:
            j["state"] = enum_json(p.venue_status.state);
            j["account"] = p.venue_status.account;
            j["in_doubt"] = p.venue_status.in_doubt;
            j["resolved"] = p.venue_status.resolved;
            j["reconnects"] = p.venue_status.reconnects;
            j["reason"] = enum_json(p.venue_status.reason);
            if (!engine::is_connection_state(p.venue_status.state)) {
                j["order_id"] = p.venue_status.order_id;
                j["order_status"] = enum_json(p.venue_status.order_status);
            }
            break;
        case EventType::venue_account:
            j["account"] = p.venue_account.account;
            j["cash"] = dec(p.venue_account.cash.raw);
            j["buying_power"] = dec(p.venue_account.buying_power.raw);
            j["equity"] = dec(p.venue_account.equity.raw);
            break;
        default:
            break;
    }
}

void audit_fields(Json& j, const engine::AuditPayload& a) {
    j["endpoint"] = enum_json(a.endpoint);
    j["method"] = static_cast<int>(a.method);
    j["status"] = a.status;
    j["code"] = enum_json(a.code);
    j["flags"] = a.flags;
    if (a.request_key != 0)
        j["request_key"] = a.request_key;
    const std::uint32_t ip = a.remote_ipv4;
    if (ip != 0) {
        j["remote"] = std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
                      std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
    }
}

void engine_alert_fields(Json& j, const engine::EngineAlertPayload& a) {
    j["order_id"] = a.order_id;
    j["cause_seq"] = a.cause_seq;
    j["cause_type"] = std::string(engine::to_string(a.cause_type));
    j["from"] = enum_json(a.from);
    j["to"] = enum_json(a.to);
    j["reason"] = enum_json(a.reason);
    if (a.reason == engine::Reason::fill_out_of_range ||
        a.reason == engine::Reason::mark_out_of_range) {
        j["price"] = dec(a.price.raw);
        j["quantity"] = dec(a.quantity.raw);
    }
}

void tick_refused_fields(Json& j, const engine::TickRefusedPayload& t) {
    j["refused_type"] = std::string(engine::to_string(t.refused_type));
    j["reason"] = std::string(engine::to_string(t.reason));
    j["price"] = dec(t.price.raw);
    j["low"] = dec(t.low.raw);
    j["high"] = dec(t.high.raw);
    j["anchor"] = dec(t.anchor.raw);
}

// Text a JSON string can hold as it is: no control characters but tab and newlines, and valid
// UTF-8 (the JSON writer's own check decides that).
bool printable_text(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
            return false;
    }
    try {
        (void)Json(std::string(s)).dump();
    } catch (const Json::type_error&) {
        return false;
    }
    return true;
}

// An input's tail (pipeline/tail_arena.hpp): as text when it is printable text, else as hex.
void tail_fields(Json& j, std::string_view tail) {
    if (printable_text(tail)) {
        j["tail"] = std::string(tail);
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(tail.size() * 2);
    for (const char ch : tail) {
        const auto b = static_cast<unsigned char>(ch);
        hex += kHex[b >> 4];
        hex += kHex[b & 15];
    }
    j["tail_hex"] = hex;
}

// An alert's tail is its body (secrets redacted): the fields that trace it to the TradingView
// alert that sent it, each shown when the body has it. "time" is the record's, so the alert's
// own is "alert_time".
void alert_trace_fields(Json& j, std::string_view tail) {
    const adapters::webhook::AlertTrace t = adapters::webhook::read_alert_trace(tail);
    const std::pair<const char*, const std::string*> fields[] = {
        {"alert_id", &t.id}, {"alert_strategy", &t.strategy}, {"message", &t.message},
        {"alert_time", &t.time}};
    for (const auto& [name, value] : fields) {
        if (!value->empty() && printable_text(*value))
            j[name] = *value;
    }
}

// The account a record names (config `accounts`), as its own field gives it: an order event's
// or fill's is in the order id (order_id.hpp), 0-based; risk_state, state_hash and
// engine_alert carry one, 0-based; a command's is 1-based, 0 meaning every account. Shown only
// when not 0, so a one-account journal dumps as it did before accounts.
std::size_t record_account(const Event& e) {
    const engine::EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::command:
            return p.command.account;
        case EventType::risk_state:
            return p.risk_state.account;
        case EventType::state_hash:
            return p.state_hash.account;
        case EventType::day_closed:
            return p.day_closed.account;
        case EventType::engine_alert:
            return p.engine_alert.account;
        default: {
            // Order events and fills: the account their order id names.
            const std::size_t k = engine::event_account(e);
            return k == engine::kAllAccounts ? 0 : k;
        }
    }
}

// The JSON line for one record; symbols are named once a symbol_def has been seen.
Json record_json(const journal::RecordView& r, const std::string& stream, RecordNames& names) {
    Json j;
    j["seq"] = r.header->seq;
    j["ts_ns"] = r.header->ts_ns;
    j["time"] = iso_time(r.header->ts_ns);
    j["stream"] = stream;
    if (r.header->length < sizeof(Event)) {
        j["type"] = r.header->type;
        j["bytes"] = r.header->length;
        return j;
    }
    Event e;
    std::memcpy(&e, r.payload, sizeof e);
    j["type"] = std::string(engine::to_string(e.header.type));
    j["source"] = std::string(engine::to_string(e.header.source));
    if (e.header.symbol != engine::kNoSymbol) {
        const auto it = names.symbols.find(e.header.symbol);
        j["symbol"] = it != names.symbols.end() ? Json(it->second) : Json(e.header.symbol);
    }
    switch (e.header.type) {
        case EventType::session_start:
        case EventType::symbol_def:
            session_fields(j, e, r, names);
            break;
        case EventType::trade:
        case EventType::quote:
        case EventType::bar:
            market_fields(j, e);
            break;
        case EventType::venue_fill:
            fill_fields(j, e);
            break;
        case EventType::venue_ack:
        case EventType::venue_reject:
        case EventType::venue_cancel:
        case EventType::order_denied:
        case EventType::order_request:
        case EventType::risk_reject:
        case EventType::order_sent:
        case EventType::order_state:
            j.update(order_fields(e.payload.order, e.header.aux));
            // What the venue was sent as the order's id (engine/orders/venue_id.hpp).
            if (e.header.type == EventType::order_sent && names.venue_id_prefix)
                j["venue_id"] = std::string(
                    engine::make_venue_id(*names.venue_id_prefix, e.payload.order.order_id).view());
            break;
        case EventType::signal:
        case EventType::alert:
        case EventType::command:
        case EventType::timer:
            request_fields(j, e);
            break;
        case EventType::risk_state:
        case EventType::state_hash:
        case EventType::day_closed:
        case EventType::session_resume:
        case EventType::feed_status:
        case EventType::venue_status:
        case EventType::venue_account:
            state_fields(j, e);
            break;
        case EventType::audit:
            audit_fields(j, e.payload.audit);
            break;
        case EventType::engine_alert:
            engine_alert_fields(j, e.payload.engine_alert);
            break;
        case EventType::tick_refused:
            tick_refused_fields(j, e.payload.tick_refused);
            break;
        case EventType::input_refused:
            j["refused_type"] =
                std::string(engine::to_string(e.payload.input_refused.refused_type));
            j["field"] = std::string(engine::to_string(e.payload.input_refused.field));
            j["value"] = dec(e.payload.input_refused.value);
            break;
        default:
            break;
    }
    if (const std::size_t account = record_account(e); account != 0)
        j["account"] = account;
    // session_start's bytes after the event are the config, shown above as "config".
    if (r.header->length > sizeof e && e.header.type != EventType::session_start) {
        const std::string_view tail(reinterpret_cast<const char*>(r.payload) + sizeof e,
                                    r.header->length - sizeof e);
        // Wall time: market data's tail is the feed's own timestamp (exchange_time.hpp).
        if (const std::optional<std::int64_t> x = engine::exchange_time(e.header.type, tail)) {
            j["exchange_ts_ns"] = *x;
            j["exchange_time"] = iso_time(*x);
        } else {
            if (e.header.type == EventType::alert)
                alert_trace_fields(j, tail);
            tail_fields(j, tail);
        }
    }
    return j;
}

std::string type_name(std::uint16_t t) {
    const std::string_view n = engine::to_string(static_cast<EventType>(t));
    return n == "unknown" ? "type_" + std::to_string(t) : std::string(n);
}

bool open_streams(const fs::path& dir, std::vector<std::string>& streams, std::ostream& err) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        err << "keel: " << dir.string() << ": not a directory\n";
        return false;
    }
    streams = journal::journal_streams(dir);
    if (streams.empty()) {
        err << "keel: " << dir.string() << ": no journal streams (no *.seg files)\n";
        return false;
    }
    return true;
}

// The effective config in the input stream's first record when that is a session_start
// carrying it; null otherwise.
Json session_config(const journal::RecordView& first_input) {
    Json config;
    if (first_input.header->type == static_cast<std::uint16_t>(EventType::session_start) &&
        first_input.header->length > sizeof(Event)) {
        config = Json::parse(
            std::string(reinterpret_cast<const char*>(first_input.payload) + sizeof(Event),
                        first_input.header->length - sizeof(Event)),
            nullptr, false);
    }
    return config.is_discarded() ? Json() : config;
}

// While a writer holds the journal (writer_lock.hpp), a stream's incomplete last record is
// being written, not torn: it is reported as such, and reading stops before it. Asked after
// the scan, so a writer that has exited by then leaves a real torn tail.
std::optional<long> writing_now(const fs::path& dir, const journal::StreamScan& scan) {
    if (!scan.issue || !scan.issue->torn)
        return std::nullopt;
    return journal::WriterLock::writer_pid(dir);
}

std::string being_written(const journal::ScanIssue& issue, long pid) {
    return "a record being written at " + issue.file + " offset " + std::to_string(issue.offset) +
           " (pid " + std::to_string(pid) + " is writing this journal)";
}

}  // namespace

int verify_journal(const fs::path& dir, std::ostream& out, std::ostream& err) {
    std::vector<std::string> streams;
    if (!open_streams(dir, streams, err))
        return kExitUsage;
    int rc = kExitOk;
    for (const std::string& s : streams) {
        journal::StreamScan scan;
        const journal::Status st = journal::scan_stream(dir, s, scan, {});
        if (!st.ok()) {
            out << s << ": unreadable: " << st.what() << "\n";
            rc = kExitUsage;
            continue;
        }
        out << s << ": " << scan.records << " records in " << scan.segments.size() << " segment"
            << (scan.segments.size() == 1 ? "" : "s");
        if (!scan.issue) {
            out << ", ok\n";
        } else if (const auto pid = writing_now(dir, scan)) {
            out << ", ok up to " << being_written(*scan.issue, *pid) << "\n";
        } else if (scan.issue->torn) {
            out << ", torn tail at " << scan.issue->file << " offset " << scan.issue->offset << " ("
                << scan.issue->what << "; recovery would cut " << scan.issue->bytes << " bytes)\n";
            rc = std::max(rc, kExitFailed);
        } else {
            out << ", CORRUPT at " << scan.issue->file << " offset " << scan.issue->offset << ": "
                << scan.issue->what << "\n";
            rc = kExitUsage;
        }
    }
    for (const FixStore& f : read_fix_stores(dir)) {
        out << "fix/" << f.account << "/" << f.session << ": ";
        if (!f.error.empty()) {
            out << "CORRUPT: " << f.error << "\n";
            rc = kExitUsage;
        } else {
            out << "next sequence numbers " << f.next_sender_seq << " out, " << f.next_target_seq
                << " in, ok\n";
        }
    }
    return rc;
}

namespace {

// One stream's entry in inspect's report, from the scan that checks it; on_record sees the
// stream's valid records as the scan meets them. rc becomes kExitUsage when the stream cannot
// be read.
Json inspect_stream(const fs::path& dir, const std::string& s, const journal::RecordFn& on_record,
                    int& rc) {
    journal::StreamScan scan;
    const journal::Status st = journal::scan_stream(dir, s, scan, on_record);
    Json sj;
    sj["stream"] = s;
    if (!st.ok()) {
        sj["error"] = std::string(st.what());
        rc = kExitUsage;
        return sj;
    }
    sj["records"] = scan.records;
    Json segs = Json::array();
    for (const auto& seg : scan.segments) {
        segs.push_back({{"file", seg.path.filename().string()},
                        {"first_seq", seg.first_seq},
                        {"records", seg.records},
                        {"bytes", seg.file_bytes}});
    }
    sj["segments"] = segs;
    Json by_type = Json::object();
    for (const auto& [t, n] : scan.records_by_type)
        by_type[type_name(t)] = n;
    sj["by_type"] = by_type;
    if (scan.records > 0) {
        sj["first_seq"] = scan.first_seq;
        sj["last_seq"] = scan.last_seq;
        sj["first_time"] = iso_time(scan.first_ts_ns);
        sj["last_time"] = iso_time(scan.last_ts_ns);
    }
    if (const auto pid = writing_now(dir, scan)) {
        sj["torn_tail"] = nullptr;
        sj["being_written"] = {
            {"file", scan.issue->file}, {"offset", scan.issue->offset}, {"pid", *pid}};
    } else if (scan.issue) {
        sj[scan.issue->torn ? "torn_tail" : "corruption"] = {
            {"file", scan.issue->file}, {"offset", scan.issue->offset}, {"what", scan.issue->what}};
    } else {
        sj["torn_tail"] = nullptr;
    }
    return sj;
}

// The journal-wide fields of inspect's report, from the session's config (null when there is
// none). Taken as const: operator[] then reads the config and never inserts into it.
Json inspect_header(const fs::path& dir, const Json& config) {
    Json j;
    j["journal"] = dir.string();
    j["durability"] =
        config.is_object() && config.contains("journal") && config["journal"].contains("durability")
            ? config["journal"]["durability"]
            : Json("os");
    if (config.is_object() && config.contains("session"))
        j["session"] = config["session"]["name"];
    return j;
}

// inspect's report as text, one block per stream.
void print_inspect(const Json& j, std::ostream& out) {
    out << "journal " << j["journal"].get<std::string>() << "  session "
        << (j.contains("session") ? j["session"].dump() : "?") << "  durability "
        << j["durability"].get<std::string>() << "\n";
    for (const Json& sj : j["streams"]) {
        out << "  " << sj["stream"].get<std::string>() << ": ";
        if (sj.contains("error")) {
            out << "unreadable: " << sj["error"].get<std::string>() << "\n";
            continue;
        }
        out << sj["records"] << " records in " << sj["segments"].size() << " segment(s)";
        if (sj.contains("first_seq")) {
            out << ", seq " << sj["first_seq"] << ".." << sj["last_seq"] << ", "
                << sj["first_time"].get<std::string>() << " .. "
                << sj["last_time"].get<std::string>();
        }
        out << "\n    by type:";
        for (const auto& [t, n] : sj["by_type"].items())
            out << " " << t << "=" << n;
        out << "\n";
        if (sj.contains("corruption")) {
            out << "    CORRUPT: " << sj["corruption"]["file"].get<std::string>() << " offset "
                << sj["corruption"]["offset"] << ": " << sj["corruption"]["what"].get<std::string>()
                << "\n";
        } else if (sj.contains("being_written")) {
            out << "    record being written: " << sj["being_written"]["file"].get<std::string>()
                << " offset " << sj["being_written"]["offset"] << " (pid "
                << sj["being_written"]["pid"] << ")\n";
        } else if (!sj["torn_tail"].is_null()) {
            out << "    torn tail: " << sj["torn_tail"]["file"].get<std::string>() << " offset "
                << sj["torn_tail"]["offset"] << "\n";
        } else {
            out << "    no torn tail\n";
        }
    }
    for (const Json& f : j.value("fix_sessions", Json::array())) {
        out << "  fix/" << f["account"].get<std::string>() << "/"
            << f["session"].get<std::string>() << ": ";
        if (f.contains("error"))
            out << "CORRUPT: " << f["error"].get<std::string>() << "\n";
        else
            out << "next sequence numbers " << f["next_sender_seq"] << " out, "
                << f["next_target_seq"] << " in; " << f["stored_bytes"]
                << " bytes of sent messages kept for resends\n";
    }
}

}  // namespace

int inspect_journal(const fs::path& dir, bool json, std::ostream& out, std::ostream& err) {
    std::vector<std::string> streams;
    if (!open_streams(dir, streams, err))
        return kExitUsage;
    // The session's config is the input stream's first record, taken during the scan that
    // checks the stream rather than by a second pass over it.
    Json config;
    bool first = true;
    const journal::RecordFn first_input = [&](const journal::RecordView& r) {
        if (std::exchange(first, false))
            config = session_config(r);
    };
    Json list = Json::array();
    int rc = kExitOk;
    for (const std::string& s : streams)
        list.push_back(
            inspect_stream(dir, s, s == "input" ? first_input : journal::RecordFn{}, rc));
    Json j = inspect_header(dir, config);
    j["streams"] = list;
    Json fix = Json::array();
    for (const FixStore& f : read_fix_stores(dir)) {
        Json fj = {{"account", f.account}, {"session", f.session}};
        if (!f.error.empty()) {
            fj["error"] = f.error;
            rc = kExitUsage;
        } else {
            fj["next_sender_seq"] = f.next_sender_seq;
            fj["next_target_seq"] = f.next_target_seq;
            fj["stored_bytes"] = f.body_bytes;
        }
        fix.push_back(fj);
    }
    if (!fix.empty())
        j["fix_sessions"] = fix;
    if (json)
        out << j.dump(2) << "\n";
    else
        print_inspect(j, out);
    return rc;
}

namespace {

// Symbol names from the definitions at the start of the input stream, so that a dump that
// starts later (--from) still names its symbols.
RecordNames symbol_names(const fs::path& dir) {
    RecordNames names;
    JournalRecords records;
    if (!records.open(dir, {{"input"}}).ok())
        return names;
    // The definitions end at the first other record; a bad record ends them quietly (the
    // reader that meets it says so).
    (void)records.read(
        [&](const journal::RecordView& r, const std::string&) {
            const auto type = static_cast<EventType>(r.header->type);
            if (type != EventType::symbol_def && type != EventType::session_start)
                return false;
            (void)record_json(r, "input", names);
            return true;
        },
        [](const std::string&, const journal::ScanIssue&) {});
    return names;
}

// A read ends quietly at an incomplete record; scan those streams to say what it is (a torn
// tail or corruption), as verify would. kExitFailed at the first that is one; kExitOk when none
// is (a record a live writer is writing is said and read up to).
int report_stopped_short(const fs::path& dir, const std::vector<std::string>& streams,
                         std::ostream& err) {
    for (const std::string& s : streams) {
        journal::StreamScan scan;
        if (!journal::scan_stream(dir, s, scan, {}).ok())
            continue;
        if (const auto pid = writing_now(dir, scan)) {
            err << "keel: " << s << ": stopped at " << being_written(*scan.issue, *pid) << "\n";
        } else if (scan.issue) {
            err << "keel: " << s << ": " << (scan.issue->torn ? "torn tail" : "corruption")
                << " at " << scan.issue->file << " offset " << scan.issue->offset << ": "
                << scan.issue->what << "\n";
            return kExitFailed;
        }
    }
    return kExitOk;
}

// dump --alert ID: the alert records whose body's id is ID, and what each caused: the records
// derived from it (its sequence: the strategy's decision, orders, risk's verdict, the gateway's
// sends), later records about those orders (acks, fills, cancels, states) and the audits of
// its repeats (duplicates carry its key).
class AlertFilter {
  public:
    explicit AlertFilter(std::string id)
        : id_(std::move(id)), key_(adapters::webhook::WebhookReceiver::id_key(id_)) {}

    bool wanted(const journal::RecordView& r) {
        if (r.header->length < sizeof(Event))
            return false;
        Event e;
        std::memcpy(&e, r.payload, sizeof e);
        if (e.header.type == EventType::alert && e.payload.alert.alert_key == key_ &&
            adapters::webhook::read_alert_trace(tail_of(r)).id == id_) {
            seqs_.push_back(e.header.seq);
            return true;
        }
        if (e.header.type == EventType::audit)
            return !seqs_.empty() && e.payload.audit.request_key == key_;
        const std::uint64_t order = engine::event_order_id(e).value_or(0);
        if (std::find(seqs_.begin(), seqs_.end(), e.header.seq) != seqs_.end() &&
            e.header.source != engine::Source::webhook) {
            if (order != 0)
                orders_.push_back(order);
            return true;
        }
        return order != 0 && std::find(orders_.begin(), orders_.end(), order) != orders_.end();
    }
    [[nodiscard]] bool found() const noexcept { return !seqs_.empty(); }

  private:
    static std::string_view tail_of(const journal::RecordView& r) {
        return {reinterpret_cast<const char*>(r.payload) + sizeof(Event),
                r.header->length - sizeof(Event)};
    }

    std::string id_;
    std::uint64_t key_;
    std::vector<std::uint64_t> seqs_;
    std::vector<std::uint64_t> orders_;
};

}  // namespace

int dump_journal(const fs::path& dir, const DumpOptions& options, std::ostream& out,
                 std::ostream& err) {
    std::vector<std::string> streams;
    if (!open_streams(dir, streams, err))
        return kExitUsage;
    if (options.stream != "all") {
        if (std::find(streams.begin(), streams.end(), options.stream) == streams.end()) {
            err << "keel: " << dir.string() << ": no stream '" << options.stream << "'\n";
            return kExitUsage;
        }
        streams = {options.stream};
    }
    JournalRecords records;
    if (journal::Status s = records.open(dir, {streams, options.from_seq, options.to_seq});
        !s.ok()) {
        err << "keel: " << s.what() << "\n";
        return kExitUsage;
    }
    RecordNames symbols = symbol_names(dir);
    AlertFilter filter(options.alert_id);
    const JournalRecords::End end = records.read(
        [&](const journal::RecordView& r, const std::string& stream) {
            if (options.alert_id.empty() || filter.wanted(r))
                out << record_json(r, stream, symbols).dump() << "\n";
            return true;
        },
        [&](const std::string&, const journal::ScanIssue& issue) {
            err << "keel: stopped at a bad record in " << describe_issue(issue) << "\n";
        });
    if (end == JournalRecords::End::bad)
        return kExitFailed;
    const int rc = report_stopped_short(dir, records.stopped_short(), err);
    if (!options.alert_id.empty() && !filter.found()) {
        err << "keel: " << dir.string() << ": no alert with id '" << options.alert_id << "'\n";
        return rc == kExitOk ? kExitFailed : rc;
    }
    return rc;
}

int tail_journal(const fs::path& dir, std::uint64_t from_seq, const std::atomic<bool>& stop,
                 std::ostream& out, std::ostream& err) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        err << "keel: " << dir.string() << ": not a directory\n";
        return kExitUsage;
    }
    // Streams may not exist yet when following a session that is starting.
    while (!stop.load() && journal::list_streams(dir).size() < 4) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (stop.load())
        return kExitOk;
    JournalRecords records;
    if (journal::Status s = records.open(dir, {{}, from_seq}); !s.ok()) {
        err << "keel: " << s.what() << "\n";
        return kExitUsage;
    }
    RecordNames symbols;
    // False once stop is set, so that a stop is seen between records while a long backlog
    // is printed.
    const JournalRecords::OnRecord print = [&](const journal::RecordView& r,
                                               const std::string& stream) {
        if (symbols.symbols.empty())
            symbols = symbol_names(dir);
        out << record_json(r, stream, symbols).dump() << "\n";
        return !stop.load();
    };
    const JournalRecords::OnBad corruption = [&](const std::string&,
                                                 const journal::ScanIssue& issue) {
        err << "keel: corruption in " << describe_issue(issue) << "\n";
    };
    while (!stop.load()) {
        const JournalRecords::End end = records.read(print, corruption);
        if (end == JournalRecords::End::bad)
            return kExitUsage;
        if (end == JournalRecords::End::stopped)
            break;
        out.flush();
        // Nothing new yet: poll. (A follower is a cold tool; 20 ms keeps it responsive.)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    out.flush();
    return kExitOk;
}

std::string describe_record(const journal::RecordView& record, const std::string& stream,
                            std::map<engine::SymbolId, std::string>& symbols) {
    RecordNames names{std::move(symbols), std::nullopt};
    std::string text = record_json(record, stream, names).dump();
    symbols = std::move(names.symbols);
    return text;
}

int scan_before_reading(const fs::path& dir, ReadableJournal& out, std::ostream& err) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        err << "keel: " << dir.string() << ": not a directory\n";
        return kExitUsage;
    }
    out.streams = journal::journal_streams(dir);
    if (out.streams.empty()) {
        err << "keel: " << dir.string() << ": no journal streams (no *.seg files)\n";
        return kExitUsage;
    }
    for (const std::string& s : out.streams) {
        journal::StreamScan& scan = out.scans[s];
        const journal::Status st = journal::scan_stream(dir, s, scan, {});
        if (!st.ok()) {
            err << "keel: " << s << ": unreadable: " << st.what() << "\n";
            return kExitUsage;
        }
        if (scan.issue && !scan.issue->torn) {
            err << "keel: " << s << ": corruption at " << scan.issue->file << " offset "
                << scan.issue->offset << ": " << scan.issue->what << "\n";
            return kExitUsage;
        }
        if (scan.issue)
            out.torn.emplace_back(s, *scan.issue);
    }
    // Asked once, after every scan: while a writer holds the journal, a stream's incomplete
    // last record is being written, not torn.
    if (const auto pid = journal::WriterLock::writer_pid(dir)) {
        const auto in = out.scans.find("input");
        out.torn.clear();
        out.live = true;
        out.read_to_seq = in != out.scans.end() ? in->second.last_seq : 0;
        err << "keel: " << dir.string() << " is being written (pid " << *pid
            << "): reading it up to sequence " << out.read_to_seq
            << ", where its input stream ended when scanned\n";
    }
    return kExitOk;
}

}  // namespace keel::replay
