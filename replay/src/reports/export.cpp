#include "keel/replay/reports/export.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/reports/journal_tools.hpp"
#include "keel/replay/assembly/run_metrics.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "keel/adapters/webhook/alert_json.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/exit_code.hpp"
#include "keel/journal/reader.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;
using engine::Event;
using engine::EventType;

// The schema replay/README.md documents. Money, prices and quantities are exact decimal TEXT
// (the journal's fixed point printed in full); times are integer nanoseconds since the Unix
// epoch, UTC. Indexes are created after the rows are in, which is faster than keeping them
// up to date row by row and gives the same file every time.
constexpr const char* kSchema = R"sql(
CREATE TABLE sessions (
  session TEXT, journal TEXT, config_hash TEXT, seed INTEGER, symbol_capacity INTEGER,
  config TEXT, first_seq INTEGER, last_seq INTEGER, first_ts_ns INTEGER, last_ts_ns INTEGER,
  complete INTEGER, starting_cash TEXT, cash TEXT, equity TEXT, realized TEXT, unrealized TEXT,
  fees TEXT, max_drawdown TEXT, orders_sent INTEGER, fills INTEGER, round_trips INTEGER,
  winning_round_trips INTEGER, risk_rejects INTEGER, venue_rejects INTEGER,
  max_drawdown_pct REAL, sharpe REAL, sortino REAL, return_days INTEGER, cagr_pct REAL,
  calmar REAL, profit_factor REAL, expectancy TEXT, average_win TEXT, average_loss TEXT,
  best_trade TEXT, worst_trade TEXT, average_holding_s REAL, losing_round_trips INTEGER,
  max_consecutive_losses INTEGER);
CREATE TABLE orders (
  order_id INTEGER PRIMARY KEY, symbol TEXT, strategy INTEGER, role TEXT, parent_id INTEGER,
  side TEXT, order_type TEXT, tif TEXT, price TEXT, stop_price TEXT, quantity TEXT,
  status TEXT, reason TEXT, filled_quantity TEXT, average_fill_price TEXT, fees TEXT,
  fills INTEGER, sent_seq INTEGER, created_ts_ns INTEGER, updated_seq INTEGER,
  updated_ts_ns INTEGER, account INTEGER);
CREATE TABLE fills (
  seq INTEGER PRIMARY KEY, ts_ns INTEGER, order_id INTEGER, symbol TEXT, strategy INTEGER,
  side TEXT, price TEXT, quantity TEXT, fee TEXT, final INTEGER, applied INTEGER,
  account INTEGER);
CREATE TABLE trades (
  trade_id INTEGER PRIMARY KEY, symbol TEXT, side TEXT, entry_ts_ns INTEGER,
  exit_ts_ns INTEGER, holding_ns INTEGER, entry_price TEXT, exit_price TEXT, quantity TEXT,
  pnl TEXT, fees TEXT, won INTEGER, close_seq INTEGER, account INTEGER);
CREATE TABLE positions (
  symbol_id INTEGER, symbol TEXT, quantity TEXT, average_price TEXT,
  cost_basis TEXT, last_price TEXT, market_value TEXT, realized TEXT, unrealized TEXT,
  fees TEXT, fills INTEGER, opened_ts_ns INTEGER, account INTEGER,
  PRIMARY KEY (account, symbol_id));
CREATE TABLE equity (
  ts_ns INTEGER, equity TEXT, drawdown TEXT, account INTEGER, PRIMARY KEY (account, ts_ns));
CREATE TABLE risk_rejects (
  id INTEGER PRIMARY KEY, seq INTEGER, ts_ns INTEGER, order_id INTEGER, symbol TEXT,
  strategy INTEGER, reason TEXT, action TEXT, side TEXT, order_type TEXT, tif TEXT,
  price TEXT, stop_price TEXT, quantity TEXT, role TEXT, account INTEGER);
CREATE TABLE signals (
  id INTEGER PRIMARY KEY, seq INTEGER, ts_ns INTEGER, symbol TEXT, strategy INTEGER,
  direction INTEGER, value INTEGER, action TEXT, reason TEXT);
CREATE TABLE accounts (
  account INTEGER PRIMARY KEY, name TEXT, starting_cash TEXT, cash TEXT, equity TEXT,
  realized TEXT, unrealized TEXT, fees TEXT, max_drawdown TEXT, orders_sent INTEGER,
  fills INTEGER, round_trips INTEGER, winning_round_trips INTEGER, risk_rejects INTEGER,
  venue_rejects INTEGER);
CREATE TABLE alerts (
  seq INTEGER PRIMARY KEY, ts_ns INTEGER, symbol TEXT, alert_key TEXT, action TEXT,
  quantity TEXT, notional TEXT, price TEXT, timeframe_min INTEGER, flags INTEGER,
  alert_id TEXT, strategy TEXT, message TEXT, alert_time TEXT, body TEXT, decision TEXT,
  orders INTEGER, risk_reject TEXT);
)sql";

constexpr const char* kIndexes = R"sql(
CREATE INDEX orders_symbol ON orders(symbol, sent_seq);
CREATE INDEX orders_status ON orders(status);
CREATE INDEX orders_account ON orders(account, sent_seq);
CREATE INDEX fills_order ON fills(order_id);
CREATE INDEX fills_symbol ON fills(symbol, seq);
CREATE INDEX fills_account ON fills(account, seq);
CREATE INDEX trades_symbol ON trades(symbol, exit_ts_ns);
CREATE INDEX trades_account ON trades(account, exit_ts_ns);
CREATE INDEX equity_ts ON equity(ts_ns);
CREATE INDEX risk_rejects_reason ON risk_rejects(reason);
CREATE INDEX risk_rejects_symbol ON risk_rejects(symbol, seq);
CREATE INDEX signals_symbol ON signals(symbol, seq);
CREATE INDEX alerts_symbol ON alerts(symbol, seq);
CREATE INDEX alerts_alert_id ON alerts(alert_id);
)sql";

// A SQLite failure while writing; caught at the top, where it becomes kExitUsage naming the
// file.
struct DbError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Value = std::variant<std::monostate, std::int64_t, std::string, double>;

class Statement {
  public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw DbError(sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void run(std::initializer_list<Value> values) {
        int i = 1;
        for (const Value& v : values) {
            int rc = SQLITE_OK;
            if (const auto* n = std::get_if<std::int64_t>(&v)) {
                rc = sqlite3_bind_int64(stmt_, i, *n);
            } else if (const auto* d = std::get_if<double>(&v)) {
                rc = sqlite3_bind_double(stmt_, i, *d);
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                rc = sqlite3_bind_text(stmt_, i, s->data(), static_cast<int>(s->size()),
                                       SQLITE_TRANSIENT);
            } else {
                rc = sqlite3_bind_null(stmt_, i);
            }
            if (rc != SQLITE_OK)
                throw DbError(sqlite3_errmsg(db_));
            ++i;
        }
        if (sqlite3_step(stmt_) != SQLITE_DONE)
            throw DbError(sqlite3_errmsg(db_));
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string what = message != nullptr ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw DbError(what);
    }
}

std::string dec(std::int64_t raw) {
    return engine::decimal_string(raw);
}
// Zero means "not given" for optional prices and sizes: NULL in the database.
Value dec_or_null(std::int64_t raw) {
    return raw == 0 ? Value{} : Value{dec(raw)};
}
Value integer(std::uint64_t v) {
    // Order ids of risk's own orders have bit 63 set (kRiskOrderIdBit): they read negative,
    // the id's two's-complement bits unchanged.
    return static_cast<std::int64_t>(v);
}

// An enum by name; a value this binary does not know reads "unknown(N)" rather than vanishing.
template <class E>
std::string name_of(E v) {
    const std::string_view n = engine::to_string(v);
    return n == "unknown" ? "unknown(" + std::to_string(static_cast<unsigned>(v)) + ")"
                          : std::string(n);
}
Value reason_or_null(engine::Reason r) {
    return r == engine::Reason::none ? Value{} : Value{name_of(r)};
}
Value role_or_null(engine::OrderRole r) {
    return r == engine::OrderRole::none ? Value{} : Value{name_of(r)};
}

struct OrderRow {
    std::uint64_t order_id = 0;
    engine::SymbolId symbol = engine::kNoSymbol;
    std::uint16_t strategy = 0;
    engine::OrderPayload sent{};   // as sent; price, stop and quantity follow replaces
    engine::OrderStatus status{};  // the order's state after its last order_state
    engine::Reason reason = engine::Reason::none;  // the last reason an order_state gave
    std::int64_t filled_raw = 0;
    engine::i128 fill_notional = 0;  // sum of price * quantity, raw * raw
    std::int64_t fees_raw = 0;
    std::uint64_t fills = 0;
    std::uint64_t sent_seq = 0, updated_seq = 0;
    std::int64_t created_ts_ns = 0, updated_ts_ns = 0;
};

// Turns the merged record stream into rows. One instance per export.
class Exporter {
    // One per account of the session (journaled_accounts), in index order: the gateway's
    // account of record rebuilt, and what this export counted for it.
    struct Book {
        std::string name;
        engine::Account account;
        std::uint64_t orders_sent = 0, fills = 0, risk_rejects = 0, venue_rejects = 0;
        std::size_t trips_written = 0;
    };
    // An alert and what it caused: the strategy's decision (a reason), orders, risk's verdict.
    struct AlertRow {
        Event event;
        std::string body;
        std::string decision;
        std::uint32_t orders;
        std::string risk_reject;
    };

  public:
    Exporter(sqlite3* db, std::uint64_t fill_records, std::uint64_t equity_capacity)
        : fill_records_(fill_records),
          equity_capacity_(equity_capacity),
          insert_fill_(db, "INSERT INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_trade_(db, "INSERT INTO trades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_equity_(db, "INSERT INTO equity VALUES (?,?,?,?)"),
          insert_reject_(db,
                         "INSERT INTO risk_rejects VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_signal_(db, "INSERT INTO signals VALUES (NULL,?,?,?,?,?,?,?,?)"),
          insert_alert_(db, "INSERT INTO alerts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_order_(db,
                        "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_position_(db, "INSERT INTO positions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_account_(db, "INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
          insert_session_(db,
                          "INSERT INTO sessions VALUES "
                          "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                          "?,?,?,?)") {}

    void on_record(const journal::RecordView& r, const std::string& stream) {
        // A fill is booked once the gateway's answer to it (at the same sequence) is known.
        if (pending_fill_ && r.header->seq != pending_fill_->header.seq)
            resolve_fill();
        if (r.header->length < sizeof(Event))
            return;  // not an engine event: nothing here models it
        Event e;
        std::memcpy(&e, r.payload, sizeof e);
        const bool input = stream == "input";
        if (input) {
            if (inputs_ == 0) {
                first_seq_ = e.header.seq;
                first_ts_ns_ = e.header.ts_ns;
            }
            ++inputs_;
            last_seq_ = e.header.seq;
            last_ts_ns_ = e.header.ts_ns;
        }
        switch (e.header.type) {
            case EventType::session_start:
                if (input && books_.empty())
                    on_session_start(e, r);
                break;
            case EventType::symbol_def:
                if (input)
                    symbols_[e.header.symbol] = std::string(
                        e.payload.symbol_def.name,
                        strnlen(e.payload.symbol_def.name, sizeof e.payload.symbol_def.name));
                break;
            // The gateway's marks: trades and bar closes (quotes mark only the strategy's
            // account), and its equity samples (Account); every account's gateway takes them.
            case EventType::trade:
                for (std::size_t k = 0; input && k < books_.size(); ++k) {
                    engine::Account& a = books_[k].account;
                    a.before_event(e.header.ts_ns, engine::EquityEvent::trade);
                    a.mark(e.header.symbol, e.payload.trade.price, e.header.ts_ns);
                }
                break;
            case EventType::bar:
                for (std::size_t k = 0; input && k < books_.size(); ++k) {
                    engine::Account& a = books_[k].account;
                    a.before_event(e.header.ts_ns, engine::EquityEvent::bar);
                    a.mark(e.header.symbol, e.payload.bar.close, e.header.ts_ns);
                    a.after_bar(e.header.ts_ns);
                }
                break;
            case EventType::venue_fill:
                if (input) {
                    pending_fill_ = e;
                    pending_applied_ = false;
                }
                break;
            case EventType::venue_reject:
                if (input) {
                    ++venue_rejects_;
                    if (Book* b = book_of(e.payload.order.order_id))
                        ++b->venue_rejects;
                }
                break;
            case EventType::alert:
                if (input)
                    on_alert(e, r);
                break;
            case EventType::signal:
                if (stream == "strategy")
                    on_signal(e);
                break;
            case EventType::order_request:
                if (stream == "strategy")
                    if (AlertRow* a = alert_at(e.header.seq))
                        ++a->orders;
                break;
            case EventType::risk_reject:
                if (stream == "risk")
                    on_risk_reject(e);
                break;
            case EventType::order_sent:
                if (stream == "gateway")
                    on_order_sent(e);
                break;
            case EventType::order_state:
                if (stream == "gateway")
                    on_order_state(e);
                break;
            default:
                break;
        }
    }

    // After the last record: the last fill, then the rows kept until the end.
    void finish(const std::string& journal, bool complete) {
        if (pending_fill_)
            resolve_fill();
        for (const auto& [seq, row] : alert_rows_)
            write_alert(row);
        for (const OrderRow& o : orders_)
            write_order(o);
        if (books_.empty())
            return;
        // Every figure from the samples and trips the session report has (run_metrics.hpp).
        std::vector<engine::Money> cash;
        std::vector<std::vector<engine::EquityPoint>> curves;
        for (std::size_t k = 0; k < books_.size(); ++k) {
            const engine::Account& a = books_[k].account;
            curves.push_back(a.closed_curve());
            cash.push_back(a.starting_cash());
            write_equity(curves.back(), a.starting_cash(), k);
            write_positions(k);
            write_account(k, compute_run_metrics(curves.back(), a.round_trips(), cash.back()));
        }
        write_session(journal, complete, curves, cash);
    }

    [[nodiscard]] bool has_session() const noexcept { return !books_.empty(); }
    [[nodiscard]] std::uint64_t orders() const noexcept { return orders_.size(); }
    [[nodiscard]] std::uint64_t fills() const noexcept { return fills_; }
    [[nodiscard]] std::uint64_t trades() const noexcept { return trades_written_; }
    [[nodiscard]] std::uint64_t rejects() const noexcept { return risk_rejects_; }
    [[nodiscard]] std::uint64_t signals() const noexcept { return signals_; }
    [[nodiscard]] std::uint64_t alerts() const noexcept { return alerts_; }
    [[nodiscard]] std::uint64_t equity_points() const noexcept { return equity_points_; }

  private:
    // An account's equity samples, each with its fall from the peak so far (the peak starting
    // at the starting cash, as max_drawdown measures it).
    void write_equity(const std::vector<engine::EquityPoint>& curve, engine::Money starting_cash,
                      std::size_t k) {
        engine::Money peak = starting_cash;
        for (const engine::EquityPoint& p : curve) {
            peak = std::max(peak, p.equity);
            insert_equity_.run({p.ts_ns, dec(p.equity.raw), dec((peak - p.equity).raw), integer(k)});
            ++equity_points_;
        }
    }

    std::string symbol_name(engine::SymbolId id) const {
        if (id == engine::kNoSymbol)
            return {};
        const auto it = symbols_.find(id);
        return it != symbols_.end() ? it->second : "#" + std::to_string(id);
    }
    Value symbol_or_null(engine::SymbolId id) const {
        return id == engine::kNoSymbol ? Value{} : Value{symbol_name(id)};
    }

    // The account an order id names (order_id.hpp), or null for one the session lacks.
    Book* book_of(std::uint64_t order_id) {
        const std::size_t k = engine::order_id_account(order_id);
        return k < books_.size() ? &books_[k] : nullptr;
    }

    void write_positions(std::size_t k) {
        const engine::Account& a = books_[k].account;
        for (engine::SymbolId id = 0; id < a.symbol_capacity(); ++id) {
            if (!symbols_.count(id))
                continue;
            const engine::PositionState& p = a.position(id);
            insert_position_.run(
                {static_cast<std::int64_t>(id), symbol_name(id), dec(p.quantity_raw),
                 dec(p.average_price.raw), dec(p.cost_basis.raw), dec(p.last_price.raw),
                 dec(p.market_value().raw), dec(p.realized.raw), dec(p.unrealized().raw),
                 dec(p.fees.raw), static_cast<std::int64_t>(p.fills),
                 p.opened_ns == 0 ? Value{} : Value{p.opened_ns}, integer(k)});
        }
    }

    void write_account(std::size_t k, const RunMetrics& m) {
        const Book& b = books_[k];
        const engine::Account& a = b.account;
        insert_account_.run({integer(k), b.name, dec(a.starting_cash().raw), dec(a.cash().raw),
                             dec(a.equity().raw), dec(a.realized().raw), dec(a.unrealized().raw),
                             dec(a.fees().raw), dec(m.max_drawdown.raw), integer(b.orders_sent),
                             integer(b.fills), integer(a.round_trip_count()),
                             integer(a.winning_round_trips()), integer(b.risk_rejects),
                             integer(b.venue_rejects)});
    }

    // The session's money is its one account's, or every account's summed with the figures
    // of their merged equity curve and every trip by exit time, as the session report has them.
    void write_session(const std::string& journal, bool complete,
                       const std::vector<std::vector<engine::EquityPoint>>& curves,
                       const std::vector<engine::Money>& cash_by_account) {
        engine::Money starting_cash{}, cash{}, equity{}, realized{}, unrealized{}, fees{};
        std::uint64_t round_trips = 0, winning = 0;
        std::vector<engine::RoundTrip> trips;
        for (const Book& b : books_) {
            const std::vector<engine::RoundTrip>& t = b.account.round_trips();
            trips.insert(trips.end(), t.begin(), t.end());
            const engine::Account& a = b.account;
            starting_cash += a.starting_cash();
            cash += a.cash();
            equity += a.equity();
            realized += a.realized();
            unrealized += a.unrealized();
            fees += a.fees();
            round_trips += a.round_trip_count();
            winning += a.winning_round_trips();
        }
        std::stable_sort(trips.begin(), trips.end(),
                         [](const engine::RoundTrip& x, const engine::RoundTrip& y) {
                             return x.exit_ns < y.exit_ns;
                         });
        const RunMetrics m = compute_run_metrics(
            books_.size() == 1 ? curves.front() : merge_equity_curves(cash_by_account, curves),
            trips, starting_cash);
        insert_session_.run({session_name_,
                             journal,
                             config_hash_,
                             integer(seed_),
                             static_cast<std::int64_t>(symbol_capacity_),
                             config_text_,
                             integer(first_seq_),
                             integer(last_seq_),
                             first_ts_ns_,
                             last_ts_ns_,
                             std::int64_t{complete ? 1 : 0},
                             dec(starting_cash.raw),
                             dec(cash.raw),
                             dec(equity.raw),
                             dec(realized.raw),
                             dec(unrealized.raw),
                             dec(fees.raw),
                             dec(m.max_drawdown.raw),
                             integer(orders_sent_),
                             integer(fills_applied_),
                             integer(round_trips),
                             integer(winning),
                             integer(risk_rejects_),
                             integer(venue_rejects_),
                             m.max_drawdown_pct,
                             m.sharpe,
                             m.sortino,
                             integer(m.return_days),
                             m.cagr_pct,
                             m.calmar,
                             m.profit_factor,
                             dec(m.expectancy.raw),
                             dec(m.average_win.raw),
                             dec(m.average_loss.raw),
                             dec(m.best_trade.raw),
                             dec(m.worst_trade.raw),
                             m.average_holding_s,
                             integer(m.losses),
                             integer(m.max_consecutive_losses)});
    }

    void on_session_start(const Event& e, const journal::RecordView& r) {
        const engine::SessionStartPayload& s = e.payload.session;
        char hash[20];
        std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(s.config_hash));
        config_hash_ = hash;
        seed_ = s.seed;
        symbol_capacity_ = s.symbol_capacity;
        config_text_.assign(reinterpret_cast<const char*>(r.payload) + sizeof e,
                            r.header->length - sizeof e);
        const nlohmann::json config = nlohmann::json::parse(config_text_, nullptr, false);
        if (config.is_object() && config.contains("session") && config["session"].is_object() &&
            config["session"].contains("name") && config["session"]["name"].is_string())
            session_name_ = config["session"]["name"].get<std::string>();
        // As the gateways': the session's symbol capacity, each account's starting cash and
        // the journaled equity sampling. A fill closes at most one round trip, so room for one
        // per fill keeps every trip; a sample per mark or fill keeps every sample.
        const std::vector<JournaledAccount> accounts = journaled_accounts(config_text_);
        const engine::EquitySampling sampling = journaled_equity_sampling(config_text_);
        for (const JournaledAccount& a : accounts)
            books_.push_back({a.name, engine::Account(a.starting_cash, symbol_capacity_,
                                                      fill_records_ + 1, equity_capacity_,
                                                      sampling)});
    }

    // The gateway books a fill only when its order book accepts it (a duplicate or a fill for
    // an unknown order is refused, with an engine_alert or silently); it answers an accepted
    // fill with an order_state for that order, partially_filled or filled, at the fill's
    // sequence. That answer is what decides here, so the account sees exactly the gateway's
    // fills.
    void resolve_fill() {
        const Event e = *pending_fill_;
        pending_fill_.reset();
        const engine::FillPayload& f = e.payload.fill;
        const std::size_t k = engine::order_id_account(f.order_id);
        Book* book = book_of(f.order_id);
        const bool valid = book != nullptr && e.header.symbol < book->account.symbol_capacity() &&
                           (f.side == engine::Side::buy || f.side == engine::Side::sell) &&
                           f.quantity.raw > 0;
        const bool applied = pending_applied_ && valid;
        insert_fill_.run({integer(e.header.seq), e.header.ts_ns, integer(f.order_id),
                          symbol_or_null(e.header.symbol), std::int64_t{e.header.aux},
                          name_of(f.side), dec(f.price.raw), dec(f.quantity.raw), dec(f.fee.raw),
                          std::int64_t{(f.flags & engine::kFillFinal) != 0 ? 1 : 0},
                          std::int64_t{applied ? 1 : 0}, integer(k)});
        ++fills_;
        if (!applied)
            return;
        ++fills_applied_;
        ++book->fills;
        book->account.before_event(e.header.ts_ns, engine::EquityEvent::fill);
        book->account.apply_fill(e.header.symbol, f.side, f.price, f.quantity, f.fee,
                                 e.header.ts_ns);
        if (const auto it = order_index_.find(f.order_id); it != order_index_.end()) {
            OrderRow& o = orders_[it->second];
            o.filled_raw += f.quantity.raw;
            o.fill_notional += static_cast<engine::i128>(f.price.raw) * f.quantity.raw;
            o.fees_raw += f.fee.raw;
            ++o.fills;
        }
        write_trades(*book, k, e.header.seq);
    }

    // The round trips the account closed since the last call; trade ids count every
    // account's, in the order closed.
    void write_trades(Book& book, std::size_t k, std::uint64_t close_seq) {
        const std::vector<engine::RoundTrip>& trips = book.account.round_trips();
        while (book.trips_written < trips.size()) {
            const engine::RoundTrip& t = trips[book.trips_written];
            ++book.trips_written;
            ++trades_written_;
            insert_trade_.run({static_cast<std::int64_t>(trades_written_), symbol_name(t.symbol),
                               std::string(t.side == engine::Side::buy ? "long" : "short"),
                               t.entry_ns, t.exit_ns, t.holding_ns(), dec(t.entry_price.raw),
                               dec(t.exit_price.raw), dec(t.quantity.raw), dec(t.pnl.raw),
                               dec(t.fees.raw), std::int64_t{t.pnl.raw > 0 ? 1 : 0},
                               integer(close_seq), integer(k)});
        }
    }

    // An alert's row waits for what it caused (records at its sequence): written at the end.
    void on_alert(const Event& e, const journal::RecordView& r) {
        AlertRow row{e, {}, {}, 0, {}};
        if (r.header->length > sizeof e)
            row.body.assign(reinterpret_cast<const char*>(r.payload) + sizeof e,
                            r.header->length - sizeof e);
        alert_rows_.insert_or_assign(e.header.seq, std::move(row));
        ++alerts_;
    }
    AlertRow* alert_at(std::uint64_t seq) {
        const auto it = alert_rows_.find(seq);
        return it == alert_rows_.end() ? nullptr : &it->second;
    }
    void write_alert(const AlertRow& row) {
        const Event& e = row.event;
        const engine::AlertPayload& a = e.payload.alert;
        char key[20];
        std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(a.alert_key));
        const adapters::webhook::AlertTrace t = adapters::webhook::read_alert_trace(row.body);
        const auto text = [](const std::string& v) { return v.empty() ? Value{} : Value{v}; };
        const Value decision = !row.decision.empty() ? Value{row.decision}
                               : row.orders > 0      ? Value{std::string("ordered")}
                                                     : Value{};
        insert_alert_.run(
            {integer(e.header.seq), e.header.ts_ns, symbol_or_null(e.header.symbol),
             std::string(key), name_of(a.action), dec_or_null(a.quantity.raw),
             dec_or_null(a.notional.raw), dec_or_null(a.price.raw),
             a.timeframe_minutes == 0 ? Value{} : Value{std::int64_t{a.timeframe_minutes}},
             std::int64_t{a.flags}, text(t.id), text(t.strategy), text(t.message), text(t.time),
             text(row.body), decision, std::int64_t{row.orders}, text(row.risk_reject)});
    }

    void on_signal(const Event& e) {
        const engine::SignalPayload& s = e.payload.signal;
        if (AlertRow* a = alert_at(e.header.seq); a != nullptr && s.reason != engine::Reason::none)
            a->decision = name_of(s.reason);
        insert_signal_.run(
            {integer(e.header.seq), e.header.ts_ns, symbol_or_null(e.header.symbol),
             std::int64_t{s.strategy}, std::int64_t{s.direction}, s.value,
             s.action == engine::AlertAction::none ? Value{} : Value{name_of(s.action)},
             reason_or_null(s.reason)});
        ++signals_;
    }

    void on_risk_reject(const Event& e) {
        const engine::OrderPayload& o = e.payload.order;
        if (AlertRow* a = alert_at(e.header.seq); a != nullptr && a->risk_reject.empty())
            a->risk_reject = name_of(o.reason);
        insert_reject_.run({integer(e.header.seq), e.header.ts_ns, integer(o.order_id),
                            symbol_or_null(e.header.symbol), std::int64_t{e.header.aux},
                            name_of(o.reason), name_of(o.action), name_of(o.side),
                            name_of(o.order_type), name_of(o.tif), dec_or_null(o.price.raw),
                            dec_or_null(o.stop_price.raw), dec(o.quantity.raw),
                            role_or_null(o.role), integer(engine::order_id_account(o.order_id))});
        ++risk_rejects_;
        if (Book* b = book_of(o.order_id))
            ++b->risk_rejects;
    }

    void on_order_sent(const Event& e) {
        ++orders_sent_;
        const engine::OrderPayload& o = e.payload.order;
        if (Book* b = book_of(o.order_id))
            ++b->orders_sent;
        // Cancels and replaces are requests about an order already here, not orders.
        if (o.action != engine::OrderAction::new_order || order_index_.count(o.order_id))
            return;
        OrderRow row;
        row.order_id = o.order_id;
        row.symbol = e.header.symbol;
        row.strategy = e.header.aux;
        row.sent = o;
        row.status = engine::OrderStatus::sent;
        row.sent_seq = row.updated_seq = e.header.seq;
        row.created_ts_ns = row.updated_ts_ns = e.header.ts_ns;
        order_index_.emplace(o.order_id, orders_.size());
        orders_.push_back(row);
    }

    void on_order_state(const Event& e) {
        const engine::OrderPayload& o = e.payload.order;
        if (pending_fill_ && e.header.seq == pending_fill_->header.seq &&
            o.order_id == pending_fill_->payload.fill.order_id &&
            (o.status == engine::OrderStatus::filled ||
             o.status == engine::OrderStatus::partially_filled))
            pending_applied_ = true;
        const auto it = order_index_.find(o.order_id);
        if (it == order_index_.end())
            return;  // a bracket child held or dropped before it was ever sent
        OrderRow& row = orders_[it->second];
        if (o.status == engine::OrderStatus::replaced) {
            // `replaced` reports the event; the order rests again, with its new terms.
            row.sent.price = o.price;
            row.sent.stop_price = o.stop_price;
            row.sent.quantity = o.quantity;
        } else {
            row.status = o.status;
        }
        if (o.reason != engine::Reason::none)
            row.reason = o.reason;
        row.updated_seq = e.header.seq;
        row.updated_ts_ns = e.header.ts_ns;
    }

    void write_order(const OrderRow& o) {
        const engine::OrderPayload& s = o.sent;
        const bool child =
            s.role == engine::OrderRole::stop_loss || s.role == engine::OrderRole::take_profit;
        Value average{};
        if (o.filled_raw > 0)
            average = dec(static_cast<std::int64_t>(o.fill_notional / o.filled_raw));
        insert_order_.run({integer(o.order_id),
                           symbol_or_null(o.symbol),
                           std::int64_t{o.strategy},
                           role_or_null(s.role),
                           child ? integer(engine::bracket_entry_of(o.order_id)) : Value{},
                           name_of(s.side),
                           name_of(s.order_type),
                           name_of(s.tif),
                           dec_or_null(s.price.raw),
                           dec_or_null(s.stop_price.raw),
                           dec(s.quantity.raw),
                           name_of(o.status),
                           reason_or_null(o.reason),
                           dec(o.filled_raw),
                           average,
                           dec(o.fees_raw),
                           integer(o.fills),
                           integer(o.sent_seq),
                           o.created_ts_ns,
                           integer(o.updated_seq),
                           o.updated_ts_ns,
                           integer(engine::order_id_account(o.order_id))});
    }

    std::uint64_t fill_records_;
    std::uint64_t equity_capacity_;
    Statement insert_fill_, insert_trade_, insert_equity_, insert_reject_, insert_signal_,
        insert_alert_, insert_order_, insert_position_, insert_account_, insert_session_;
    std::vector<Book> books_;
    std::map<engine::SymbolId, std::string> symbols_;
    std::optional<Event> pending_fill_;
    bool pending_applied_ = false;
    std::vector<OrderRow> orders_;  // in the order they were sent
    std::map<std::uint64_t, std::size_t> order_index_;
    std::string session_name_, config_hash_, config_text_;
    std::uint64_t seed_ = 0;
    std::uint32_t symbol_capacity_ = 0;
    std::uint64_t inputs_ = 0, first_seq_ = 0, last_seq_ = 0;
    std::int64_t first_ts_ns_ = 0, last_ts_ns_ = 0;
    std::uint64_t orders_sent_ = 0, fills_ = 0, fills_applied_ = 0, risk_rejects_ = 0,
                  venue_rejects_ = 0, signals_ = 0, alerts_ = 0, equity_points_ = 0;
    std::map<std::uint64_t, AlertRow> alert_rows_;  // by seq
    std::size_t trades_written_ = 0;
};

// fsync of a file or directory by path; false with errno set on failure.
bool sync_path(const fs::path& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return ok;
}

// Closes the database on every path out, and removes the temporary file unless it was kept.
class TempDatabase {
  public:
    explicit TempDatabase(fs::path path) : path_(std::move(path)) {}
    ~TempDatabase() {
        if (db_ != nullptr)
            sqlite3_close_v2(db_);  // an error path: the file is removed anyway
        if (!kept_) {
            std::error_code ec;
            fs::remove(path_, ec);
        }
    }
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;

    void open() {
        std::error_code ec;
        fs::remove(path_, ec);  // a leftover of an export that was killed
        if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) != SQLITE_OK)
            throw DbError(db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory");
        // A new file written in one go and renamed into place when complete needs no rollback
        // journal and no syncs of its own: it is synced once, before the rename.
        exec(db_, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
    }
    void close() {
        if (db_ != nullptr && sqlite3_close(db_) != SQLITE_OK)
            throw DbError(sqlite3_errmsg(db_));
        db_ = nullptr;
    }
    void keep() noexcept { kept_ = true; }
    [[nodiscard]] sqlite3* db() const noexcept { return db_; }
    [[nodiscard]] const fs::path& path() const noexcept { return path_; }

  private:
    fs::path path_;
    sqlite3* db_ = nullptr;
    bool kept_ = false;
};

// How many records of a type the input stream holds, from the scan.
std::uint64_t input_records(const ReadableJournal& journal_scan, EventType type) {
    const auto in = journal_scan.scans.find("input");
    if (in == journal_scan.scans.end())
        return 0;
    const auto it = in->second.records_by_type.find(static_cast<std::uint16_t>(type));
    return it != in->second.records_by_type.end() ? it->second : 0;
}

// Fills size the round-trip table (a fill closes at most one trip).
std::uint64_t fill_records(const ReadableJournal& journal_scan) {
    return input_records(journal_scan, EventType::venue_fill);
}

// Every event that can start an equity sample (a trade, a bar, a fill), and the end's point.
std::uint64_t equity_capacity(const ReadableJournal& journal_scan) {
    return input_records(journal_scan, EventType::trade) +
           input_records(journal_scan, EventType::bar) + fill_records(journal_scan) + 2;
}

// Reads the journal's records into the exporter. False, with err told why, when they do not
// make a session's database: a record went bad after the scan, or no session started.
bool read_into(JournalRecords& records, Exporter& exporter, const fs::path& dir,
               std::ostream& err) {
    const JournalRecords::End end = records.read(
        [&](const journal::RecordView& r, const std::string& stream) {
            exporter.on_record(r, stream);
            return true;
        },
        // Changed since the scan (a journal being written, or damaged meanwhile).
        [&](const std::string&, const journal::ScanIssue& issue) {
            err << "keel: corruption at " << describe_issue(issue) << "\n";
        });
    if (end == JournalRecords::End::bad)
        return false;
    if (!exporter.has_session()) {
        err << "keel: " << dir.string()
            << ": no session_start record at the start of the input stream\n";
        return false;
    }
    return true;
}

// What went into the tables, as the export's last line says it.
std::string summary_of(const Exporter& exporter) {
    return std::to_string(exporter.orders()) + " orders, " + std::to_string(exporter.fills()) +
           " fills, " + std::to_string(exporter.trades()) + " round trips, " +
           std::to_string(exporter.equity_points()) + " equity points, " +
           std::to_string(exporter.rejects()) + " risk rejects, " +
           std::to_string(exporter.signals()) + " signals, " + std::to_string(exporter.alerts()) +
           " alerts";
}

// Indexes the rows, commits, and renames the synced file over `file`. Throws DbError or
// fs::filesystem_error saying what failed; `file` is untouched unless the rename happened.
void commit(TempDatabase& temp, const fs::path& file) {
    exec(temp.db(), kIndexes);
    exec(temp.db(), ("PRAGMA user_version=" + std::to_string(kExportSchemaVersion)).c_str());
    exec(temp.db(), "COMMIT;");
    temp.close();
    if (!sync_path(temp.path(), false))
        throw DbError(std::strerror(errno));
    fs::rename(temp.path(), file);  // throws filesystem_error naming why
    temp.keep();
    const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    (void)sync_path(parent, true);  // the rename's durability; the file is complete either way
}

}  // namespace

int export_sqlite(const fs::path& dir, const fs::path& file, std::ostream& out, std::ostream& err) {
    std::error_code ec;
    // Corruption anywhere means no database; a torn tail, the records before it.
    ReadableJournal journal_scan;
    if (const int rc = scan_before_reading(dir, journal_scan, err); rc != kExitOk)
        return rc;
    const auto& torn = journal_scan.torn;
    // Up to where a live writer's input stream ended when scanned; what it appends after the
    // scan is not read.
    JournalRecords records;
    if (journal::Status s = records.open(dir, {journal_scan.streams, 0, journal_scan.read_to_seq});
        !s.ok()) {
        err << "keel: " << s.what() << "\n";
        return kExitUsage;
    }

    // Beside the target, so the rename is atomic on one file system.
    TempDatabase temp(file.parent_path() /
                      (file.filename().string() + ".tmp-" + std::to_string(::getpid())));
    const std::string journal_path = fs::absolute(dir, ec).lexically_normal().string();
    try {
        temp.open();
        exec(temp.db(), "BEGIN;");
        exec(temp.db(), kSchema);
        std::string summary;
        {
            // The exporter's statements are finalized when it goes, before the database closes.
            Exporter exporter(temp.db(), fill_records(journal_scan), equity_capacity(journal_scan));
            if (!read_into(records, exporter, dir, err))
                return kExitUsage;
            exporter.finish(journal_path, torn.empty() && !journal_scan.live);
            summary = summary_of(exporter);
        }
        commit(temp, file);
        out << "exported " << dir.string() << " to " << file.string() << ": " << summary << "\n";
    } catch (const fs::filesystem_error& e) {
        err << "keel: cannot write " << file.string() << ": " << e.code().message() << "\n";
        return kExitUsage;
    } catch (const DbError& e) {
        err << "keel: cannot write " << file.string() << ": " << e.what() << "\n";
        return kExitUsage;
    }
    // Worded as `keel journal dump` words it.
    for (const auto& [s, issue] : torn) {
        err << "keel: " << s << ": torn tail at " << issue.file << " offset " << issue.offset
            << ": " << issue.what << "; exported the records before it\n";
    }
    return torn.empty() ? kExitOk : kExitFailed;
}

}  // namespace keel::replay
