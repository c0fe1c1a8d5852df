#include "keel/replay/reports/html_report.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/reports/journal_tools.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/exit_code.hpp"
#include "keel/journal/reader.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using engine::Event;
using engine::EventType;
using engine::i128;
using engine::Money;

// A curve with more points than this is drawn from the lowest and highest point of each of
// kChartBuckets buckets, which keeps every peak and trough visible at a bounded page size.
constexpr std::size_t kChartMaxPoints = 4000;
constexpr std::size_t kChartBuckets = 2000;

// ---------------------------------------------------------------- reading the journal

struct PendingFill {
    std::uint64_t seq = 0;
    Event event{};
};

class ReportBuilder {
  public:
    ReportBuilder(JournalReport& report, const HtmlReportOptions& options)
        : report_(report), options_(options) {}

    // False with error set when the record cannot be part of a session journal.
    bool on_record(const journal::RecordView& r, const std::string& stream, std::string& error) {
        if (pending_ && r.header->seq != pending_->seq)
            drop_pending();
        if (stream == "input") {
            ++report_.events_sequenced;
            report_.last_seq = std::max(report_.last_seq, r.header->seq);
        }
        if (r.header->length < sizeof(Event))
            return true;  // not an event this binary knows: nothing to account
        Event e;
        std::memcpy(&e, r.payload, sizeof e);
        if (stream == "input")
            return on_input(r, e, error);
        if (accounts_.empty())
            return true;
        if (stream == "strategy") {
            if (e.header.type == EventType::order_request &&
                e.payload.order.action == engine::OrderAction::new_order)
                ++report_.orders_requested;
        } else if (stream == "risk") {
            if (e.header.type == EventType::risk_reject) {
                ++report_.risk_rejects;
                ++tally(e.payload.order.order_id).risk_rejects;
            }
        } else if (stream == "gateway") {
            if (e.header.type == EventType::order_sent) {
                ++report_.orders_sent;
                ++tally(e.payload.order.order_id).orders_sent;
            } else if (e.header.type == EventType::order_state) {
                on_gateway_state(e);
            }
        }
        return true;
    }

    void finish() {
        if (pending_)
            drop_pending();
        if (accounts_.empty())
            return;
        if (open_positions_ > 0)
            report_.time_in_market_ns +=
                std::max(report_.last_ts_ns, in_market_since_ns_) - in_market_since_ns_;
        if (accounts_.size() == 1) {
            finish_one();
            return;
        }
        finish_several();
    }

    [[nodiscard]] bool started() const { return !accounts_.empty(); }

  private:
    bool on_input(const journal::RecordView& r, const Event& e, std::string& error) {
        const engine::EventPayload& p = e.payload;
        if (e.header.type == EventType::session_start) {
            if (!accounts_.empty()) {
                error = "a second session_start at seq " + std::to_string(e.header.seq);
                return false;
            }
            start(r, e);
            return true;
        }
        if (accounts_.empty()) {
            error = "the input stream does not begin with a session_start";
            return false;
        }
        if (e.header.type != EventType::symbol_def) {
            if (!timed_) {
                timed_ = true;
                report_.first_ts_ns = e.header.ts_ns;
            }
            report_.last_ts_ns = std::max(report_.last_ts_ns, e.header.ts_ns);
        }
        if (engine::is_market_data(e.header.type))
            ++report_.market_events;
        switch (e.header.type) {
            case EventType::symbol_def:
                names_[e.header.symbol] = std::string(
                    p.symbol_def.name, strnlen(p.symbol_def.name, sizeof p.symbol_def.name));
                break;
            // Every account's gateway marks its account with trades and bar closes, and samples
            // equity as its Account does; quotes reach only the venue (gateway_stage.cpp).
            case EventType::trade:
                for (engine::Account& a : accounts_) {
                    a.before_event(e.header.ts_ns, engine::EquityEvent::trade);
                    a.mark(e.header.symbol, p.trade.price, e.header.ts_ns);
                }
                note_exposure();
                break;
            case EventType::bar:
                for (engine::Account& a : accounts_) {
                    a.before_event(e.header.ts_ns, engine::EquityEvent::bar);
                    a.mark(e.header.symbol, p.bar.close, e.header.ts_ns);
                    a.after_bar(e.header.ts_ns);
                }
                note_exposure();
                break;
            case EventType::venue_fill:
                pending_ = PendingFill{e.header.seq, e};
                break;
            case EventType::venue_reject:
                ++report_.venue_rejects;
                ++tally(p.order.order_id).venue_rejects;
                break;
            default:
                break;
        }
        return true;
    }

    void start(const journal::RecordView& r, const Event& e) {
        report_.config_hash = e.payload.session.config_hash;
        report_.seed = e.payload.session.seed;
        report_.config_text.assign(reinterpret_cast<const char*>(r.payload) + sizeof e,
                                   r.header->length - sizeof e);
        // Read from the journaled config text as validation reads it, without validating it
        // (validation checks that the data files exist; a journal is often read away from them).
        const std::vector<JournaledAccount> accounts = journaled_accounts(report_.config_text);
        const Json config = Json::parse(report_.config_text, nullptr, false);
        if (config.is_object()) {
            const auto session = config.find("session");
            if (session != config.end() && session->is_object()) {
                const auto name = session->find("name");
                if (name != session->end() && name->is_string())
                    report_.session_name = name->get<std::string>();
            }
            report_.config_text = config.dump(2, ' ', false, Json::error_handler_t::replace);
        }
        // Each account as its gateway keeps it: the journaled symbol capacity and equity
        // sampling, every round trip and sample (the figures are computed from all of them).
        const engine::EquitySampling sampling = journaled_equity_sampling(report_.config_text);
        for (const JournaledAccount& a : accounts) {
            report_.starting_cash += a.starting_cash;
            accounts_.emplace_back(a.starting_cash, e.payload.session.symbol_capacity,
                                   engine::Account::kUnbounded, engine::Account::kUnbounded,
                                   sampling);
            tallies_.push_back({});
            tallies_.back().name = a.name;
        }
        trips_.resize(accounts.size());
    }

    // The counts of the account an order id names; an id naming no account of the session
    // counts in the session's totals only.
    ReportAccount& tally(std::uint64_t order_id) {
        const std::size_t k = engine::order_id_account(order_id);
        return k < tallies_.size() ? tallies_[k] : unrouted_;
    }

    void on_gateway_state(const Event& e) {
        if (!pending_ || e.header.seq != pending_->seq ||
            e.payload.order.order_id != pending_->event.payload.fill.order_id)
            return;
        const engine::OrderStatus s = e.payload.order.status;
        if (s != engine::OrderStatus::filled && s != engine::OrderStatus::partially_filled)
            return;
        const Event fill = pending_->event;
        pending_.reset();
        apply(fill);
    }

    void apply(const Event& fill) {
        const engine::FillPayload& f = fill.payload.fill;
        const engine::SymbolId sym = fill.header.symbol;
        const std::size_t k = engine::order_id_account(f.order_id);
        // The gateway's book accepted this fill, so it is well formed; a journal that says
        // otherwise is not counted rather than allowed to trip the account's assertions.
        if (k >= accounts_.size() || sym >= accounts_[k].symbol_capacity() ||
            (f.side != engine::Side::buy && f.side != engine::Side::sell) || f.quantity.raw <= 0) {
            ++report_.fills_not_applied;
            return;
        }
        engine::Account& a = accounts_[k];
        const bool was_open = a.position(sym).quantity_raw != 0;
        const std::uint64_t trips = a.round_trip_count();
        const std::uint64_t wins = a.winning_round_trips();
        a.before_event(fill.header.ts_ns, engine::EquityEvent::fill);
        a.apply_fill(sym, f.side, f.price, f.quantity, f.fee, fill.header.ts_ns);
        note_exposure();
        ++report_.fills;
        ++tallies_[k].fills;
        if (a.round_trip_count() != trips) {
            if (trips_[k].size() <= sym)
                trips_[k].resize(sym + 1u);
            ++trips_[k][sym].first;
            trips_[k][sym].second += a.winning_round_trips() - wins;
        }
        const bool is_open = a.position(sym).quantity_raw != 0;
        if (was_open != is_open) {
            if (is_open && open_positions_++ == 0)
                in_market_since_ns_ = fill.header.ts_ns;
            if (!is_open && --open_positions_ == 0)
                report_.time_in_market_ns += fill.header.ts_ns - in_market_since_ns_;
        }
    }

    void drop_pending() {
        ++report_.fills_not_applied;
        pending_.reset();
    }

    // Every figure from the accounts' closed curves (merged with several) and every round trip
    // by exit time, as the session report computes them (run_metrics.hpp).
    void finish_metrics(const std::vector<engine::RoundTrip>& trips) {
        std::vector<Money> cash;
        std::vector<std::vector<engine::EquityPoint>> curves;
        for (const engine::Account& a : accounts_) {
            cash.push_back(a.starting_cash());
            curves.push_back(a.closed_curve());
        }
        report_.equity_curve =
            curves.size() == 1 ? curves.front() : merge_equity_curves(cash, curves);
        report_.metrics = compute_run_metrics(report_.equity_curve, trips, report_.starting_cash);
        report_.max_drawdown = report_.metrics.max_drawdown;
        // The same fall as a share of its peak, exactly, in billionths.
        std::int64_t peak = report_.starting_cash.raw;
        for (const engine::EquityPoint& p : report_.equity_curve) {
            peak = std::max(peak, p.equity.raw);
            if (peak > 0)
                report_.max_drawdown_ppb = std::max(
                    report_.max_drawdown_ppb,
                    static_cast<std::int64_t>((static_cast<i128>(peak) - p.equity.raw) *
                                              engine::kScale / peak));
        }
    }

    void note_exposure() {
        Money gross{};
        for (const engine::Account& a : accounts_)
            gross += a.gross_exposure();
        report_.max_gross_exposure = std::max(report_.max_gross_exposure, gross);
    }

    // Account k's position in `symbol`, named as the journal defined it.
    ReportSymbol symbol_row(std::size_t k, engine::SymbolId id) const {
        ReportSymbol s;
        const auto it = names_.find(id);
        s.name = it != names_.end() ? it->second : "#" + std::to_string(id);
        s.account = k;
        s.position = accounts_[k].position(id);
        if (id < trips_[k].size()) {
            s.round_trips = trips_[k][id].first;
            s.winning_round_trips = trips_[k][id].second;
        }
        return s;
    }

    // Every symbol the journal defined, in id order, as keel run's summary lists them.
    engine::SymbolId symbol_count() const {
        engine::SymbolId count = 0;
        for (const auto& [id, name] : names_)
            count = std::max<engine::SymbolId>(count, static_cast<engine::SymbolId>(id + 1));
        return std::min<engine::SymbolId>(
            count, static_cast<engine::SymbolId>(accounts_.front().symbol_capacity()));
    }

    void finish_one() {
        const engine::Account& a = accounts_.front();
        report_.cash = a.cash();
        report_.equity = a.equity();
        report_.realized = a.realized();
        report_.unrealized = a.unrealized();
        report_.fees = a.fees();
        report_.round_trip_count = a.round_trip_count();
        report_.winning_round_trips = a.winning_round_trips();
        finish_metrics(a.round_trips());
        report_.round_trips.assign(
            a.round_trips().begin(),
            a.round_trips().begin() + static_cast<std::ptrdiff_t>(std::min(
                                          a.round_trips().size(), options_.max_trade_rows)));
        const engine::SymbolId symbols = symbol_count();
        for (engine::SymbolId id = 0; id < symbols; ++id)
            report_.symbols.push_back(symbol_row(0, id));
    }

    // Every account's figures apart, and together as the session's.
    void finish_several() {
        std::vector<std::pair<engine::RoundTrip, std::size_t>> trips;
        const engine::SymbolId symbols = symbol_count();
        for (std::size_t k = 0; k < accounts_.size(); ++k) {
            const engine::Account& a = accounts_[k];
            ReportAccount& t = tallies_[k];
            t.starting_cash = a.starting_cash();
            t.cash = a.cash();
            t.equity = a.equity();
            t.realized = a.realized();
            t.unrealized = a.unrealized();
            t.fees = a.fees();
            t.max_drawdown =
                compute_run_metrics(a.closed_curve(), a.round_trips(), a.starting_cash())
                    .max_drawdown;
            t.round_trip_count = a.round_trip_count();
            t.winning_round_trips = a.winning_round_trips();
            report_.cash += t.cash;
            report_.equity += t.equity;
            report_.realized += t.realized;
            report_.unrealized += t.unrealized;
            report_.fees += t.fees;
            report_.round_trip_count += t.round_trip_count;
            report_.winning_round_trips += t.winning_round_trips;
            for (const engine::RoundTrip& trip : a.round_trips())
                trips.emplace_back(trip, k);
            for (engine::SymbolId id = 0; id < symbols; ++id) {
                ReportSymbol s = symbol_row(k, id);
                if (s.position.fills > 0 || s.position.quantity_raw != 0)
                    report_.symbols.push_back(std::move(s));
            }
        }
        std::stable_sort(trips.begin(), trips.end(), [](const auto& x, const auto& y) {
            return x.first.exit_ns < y.first.exit_ns;
        });
        std::vector<engine::RoundTrip> all;
        for (const auto& t : trips)
            all.push_back(t.first);
        finish_metrics(all);
        trips.resize(std::min(trips.size(), options_.max_trade_rows));
        for (const auto& [trip, k] : trips) {
            report_.round_trips.push_back(trip);
            report_.round_trip_accounts.push_back(k);
        }
        report_.accounts = tallies_;
    }

    JournalReport& report_;
    const HtmlReportOptions& options_;
    std::vector<engine::Account> accounts_;  // one per account of the session, in index order
    std::vector<ReportAccount> tallies_;     // and its counts
    ReportAccount unrouted_;                 // counts of ids that name no account
    std::optional<PendingFill> pending_;
    std::map<engine::SymbolId, std::string> names_;
    // Per account and symbol: trips, wins.
    std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> trips_;
    std::uint64_t open_positions_ = 0;  // (account, symbol) pairs with a position open
    std::int64_t in_market_since_ns_ = 0;
    bool timed_ = false;  // first_ts_ns is set
};

// ---------------------------------------------------------------- formatting

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                // Control characters have no business in a name; show them, do not pass them.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
                    out += "&#xFFFD;";
                else
                    out += c;
        }
    }
    return out;
}

std::string dec(std::int64_t raw) {
    return engine::decimal_string(raw);
}

// num / den as a percentage with two decimals, rounded half away from zero, exactly.
std::string percent(i128 num, i128 den) {
    if (den == 0)
        return "n/a";
    if (den < 0) {
        num = -num;
        den = -den;
    }
    const i128 scaled = num * 10'000;  // hundredths of a percent
    i128 q = scaled / den;
    const i128 r = scaled % den;
    if (2 * (r < 0 ? -r : r) >= den)
        q += num < 0 ? -1 : 1;
    const bool negative = q < 0;
    const i128 a = negative ? -q : q;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld%%", negative ? "-" : "",
                  static_cast<long long>(a / 100), static_cast<long long>(a % 100));
    return buf;
}

// "2001-03-05 14:30:00", with the fraction of a second when there is one.
std::string display_time(std::int64_t ns) {
    std::int64_t secs = ns / 1'000'000'000;
    std::int64_t frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    if (frac != 0) {
        n += static_cast<std::size_t>(
            std::snprintf(buf + n, sizeof buf - n, ".%09lld", static_cast<long long>(frac)));
        while (buf[n - 1] == '0')
            buf[--n] = '\0';
    }
    return std::string(buf, n);
}

// "3d 04:05:06", "00:30:00", "00:00:01.5".
std::string duration(std::int64_t ns) {
    const bool negative = ns < 0;
    const std::uint64_t a =
        negative ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
    const std::uint64_t secs = a / 1'000'000'000, frac = a % 1'000'000'000;
    const std::uint64_t days = secs / 86'400, rest = secs % 86'400;
    char buf[96];
    int n = 0;
    if (days > 0)
        n = std::snprintf(buf, sizeof buf, "%s%llud %02llu:%02llu:%02llu", negative ? "-" : "",
                          static_cast<unsigned long long>(days),
                          static_cast<unsigned long long>(rest / 3600),
                          static_cast<unsigned long long>(rest / 60 % 60),
                          static_cast<unsigned long long>(rest % 60));
    else
        n = std::snprintf(buf, sizeof buf, "%s%02llu:%02llu:%02llu", negative ? "-" : "",
                          static_cast<unsigned long long>(rest / 3600),
                          static_cast<unsigned long long>(rest / 60 % 60),
                          static_cast<unsigned long long>(rest % 60));
    std::string out(buf, static_cast<std::size_t>(n));
    if (frac != 0) {
        std::snprintf(buf, sizeof buf, ".%09llu", static_cast<unsigned long long>(frac));
        std::string f(buf);
        while (f.back() == '0')
            f.pop_back();
        out += f;
    }
    return out;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    // "-0.0" reads oddly on an axis.
    if (std::strcmp(buf, "-0") == 0 || std::strncmp(buf, "-0.", 3) == 0) {
        bool zero = true;
        for (const char* c = buf + 1; *c != '\0'; ++c)
            zero = zero && (*c == '0' || *c == '.');
        if (zero)
            return buf + 1;
    }
    return buf;
}

// ---------------------------------------------------------------- charts (inline SVG)

struct ChartPoint {
    std::int64_t ts_ns;
    double value;  // chart geometry only; the tables carry the exact numbers
};

// At most about 2 * kChartBuckets points: each bucket's lowest and highest, in time order.
std::vector<ChartPoint> thin(const std::vector<ChartPoint>& in) {
    if (in.size() <= kChartMaxPoints)
        return in;
    std::vector<ChartPoint> out;
    out.reserve(2 * kChartBuckets + 2);
    const std::size_t n = in.size();
    for (std::size_t b = 0; b < kChartBuckets; ++b) {
        const std::size_t lo = n * b / kChartBuckets, hi = n * (b + 1) / kChartBuckets;
        if (lo >= hi)
            continue;
        std::size_t mn = lo, mx = lo;
        for (std::size_t i = lo; i < hi; ++i) {
            if (in[i].value < in[mn].value)
                mn = i;
            if (in[i].value > in[mx].value)
                mx = i;
        }
        out.push_back(in[std::min(mn, mx)]);
        if (mn != mx)
            out.push_back(in[std::max(mn, mx)]);
    }
    if (out.back().ts_ns != in.back().ts_ns || out.back().value != in.back().value)
        out.push_back(in.back());
    return out;
}

struct Axis {
    double lo, hi, step;
    int decimals;
};

// A "nice" axis (steps of 1, 2 or 5 times a power of ten) covering [lo, hi].
Axis nice_axis(double lo, double hi) {
    if (!(hi > lo)) {
        const double pad = std::max(std::fabs(lo) * 0.01, 1.0);
        lo -= pad;
        hi += pad;
    }
    const double raw = (hi - lo) / 5;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / p;
    const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    Axis a{std::floor(lo / step) * step, std::ceil(hi / step) * step, step, 0};
    a.decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    return a;
}

struct ChartSpec {
    const char* id;
    const char* title;
    const char* y_label;
    bool fill_to_zero;               // drawdown: shade between the line and 0
    std::optional<double> baseline;  // equity: the starting cash, dashed
};

constexpr int kW = 960, kH = 320, kLeft = 100, kRight = 24, kTop = 28, kBottom = 56;

void chart(std::string& html, const ChartSpec& spec, const std::vector<ChartPoint>& all) {
    html += "<svg id=\"";
    html += spec.id;
    html += "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
            std::to_string(kW) + " " + std::to_string(kH) + "\" width=\"" + std::to_string(kW) +
            "\" height=\"" + std::to_string(kH) + "\" role=\"img\" aria-label=\"" + spec.title +
            "\"><title>" + spec.title + "</title>\n";
    const int pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
    if (all.empty()) {
        html += "<text x=\"" + std::to_string(kW / 2) + "\" y=\"" + std::to_string(kH / 2) +
                "\" text-anchor=\"middle\">no equity samples (no fills and no bars)</text></svg>\n";
        return;
    }
    const std::vector<ChartPoint> pts = thin(all);
    double vlo = pts.front().value, vhi = pts.front().value;
    for (const ChartPoint& p : pts) {
        vlo = std::min(vlo, p.value);
        vhi = std::max(vhi, p.value);
    }
    if (spec.baseline) {
        vlo = std::min(vlo, *spec.baseline);
        vhi = std::max(vhi, *spec.baseline);
    }
    if (spec.fill_to_zero)
        vhi = 0;
    const Axis ay = nice_axis(vlo, vhi);
    const std::int64_t t0 = pts.front().ts_ns, t1 = pts.back().ts_ns;
    const double span = t1 > t0 ? static_cast<double>(t1 - t0) : 1.0;
    auto x_of = [&](std::int64_t ts) { return kLeft + static_cast<double>(ts - t0) / span * pw; };
    auto y_of = [&](double v) { return kTop + (ay.hi - v) / (ay.hi - ay.lo) * ph; };

    // Grid and y labels.
    html += "<g class=\"grid\">";
    const int yticks = static_cast<int>(std::lround((ay.hi - ay.lo) / ay.step));
    for (int i = 0; i <= yticks; ++i) {
        const double v = ay.lo + i * ay.step;
        const std::string y = fixed(y_of(v), 1);
        html += "<line x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kLeft + pw) +
                "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
        html += "<text class=\"ylab\" x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + y +
                "\" dy=\"4\" text-anchor=\"end\">" + fixed(v, ay.decimals) + "</text>";
    }
    // Time labels: dates over long spans, times of day over short ones.
    const bool long_span = t1 - t0 > 2LL * 86'400 * 1'000'000'000;
    constexpr int kXTicks = 6;
    for (int i = 0; i <= kXTicks; ++i) {
        const std::int64_t ts =
            t0 + static_cast<std::int64_t>(static_cast<double>(t1 - t0) * i / kXTicks);
        const std::string x = fixed(x_of(ts), 1);
        const std::string t = display_time(ts);
        const std::string label = long_span ? t.substr(0, 10) : t.substr(5, 11);
        html += "<line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + std::to_string(kTop) +
                "\" y2=\"" + std::to_string(kTop + ph) + "\"/>";
        const char* anchor = i == 0 ? "start" : i == kXTicks ? "end" : "middle";
        html += "<text class=\"xlab\" x=\"" + x + "\" y=\"" + std::to_string(kTop + ph + 18) +
                "\" text-anchor=\"" + anchor + "\">" + label + "</text>";
        if (t1 == t0)
            break;
    }
    html += "</g>\n";
    // Axis titles.
    html += "<text class=\"axis-title\" x=\"" + std::to_string(kLeft + pw / 2) + "\" y=\"" +
            std::to_string(kH - 8) + "\" text-anchor=\"middle\">time (UTC)</text>";
    html += "<text class=\"axis-title\" transform=\"translate(16 " + std::to_string(kTop + ph / 2) +
            ") rotate(-90)\" text-anchor=\"middle\">" + spec.y_label + "</text>\n";
    if (spec.baseline) {
        const std::string y = fixed(y_of(*spec.baseline), 1);
        html += "<line class=\"baseline\" x1=\"" + std::to_string(kLeft) + "\" x2=\"" +
                std::to_string(kLeft + pw) + "\" y1=\"" + y + "\" y2=\"" + y + "\"/>\n";
    }
    std::string points;
    points.reserve(pts.size() * 14);
    for (const ChartPoint& p : pts) {
        if (!points.empty())
            points += ' ';
        points += fixed(x_of(p.ts_ns), 1) + "," + fixed(y_of(p.value), 1);
    }
    if (spec.fill_to_zero) {
        const std::string y0 = fixed(y_of(0), 1);
        html += "<polygon class=\"area\" points=\"" + fixed(x_of(t0), 1) + "," + y0 + " " + points +
                " " + fixed(x_of(t1), 1) + "," + y0 + "\"/>\n";
    }
    html += "<polyline class=\"line\" points=\"" + points + "\"/>\n";
    html += "<rect class=\"frame\" x=\"" + std::to_string(kLeft) + "\" y=\"" +
            std::to_string(kTop) + "\" width=\"" + std::to_string(pw) + "\" height=\"" +
            std::to_string(ph) + "\"/>\n</svg>\n";
}

double to_double(Money m) {
    return static_cast<double>(m.raw) / static_cast<double>(engine::kScale);
}

// ---------------------------------------------------------------- tables

void row(std::string& html, const char* id, const char* label, const std::string& value) {
    html += "<tr id=\"sum-";
    html += id;
    html += "\"><th>";
    html += label;
    html += "</th><td class=\"num\">";
    html += value;
    html += "</td></tr>\n";
}

const char* kStyle = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:24px auto;max-width:1120px;color:#1d2430;background:#fff;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin-top:0}.warn{background:#fff4e5;border:1px solid #f0b37e;padding:8px 12px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:0.9em}
th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right}thead th{background:#f6f8fa;position:sticky;top:0}
#summary th{font-weight:normal;color:#57606a}
.pos{color:#116329}.neg{color:#a40e26}
svg.chart{display:block;max-width:100%;height:auto;font-size:12px}
svg .grid line{stroke:#eaeef2;stroke-width:1}svg .ylab,svg .xlab{fill:#57606a}
svg .axis-title{fill:#1d2430;font-size:13px}svg .frame{fill:none;stroke:#8c959f}
svg .line{fill:none;stroke:#0969da;stroke-width:1.5}#drawdown-chart .line{stroke:#a40e26}
svg .area{fill:#a40e26;fill-opacity:0.15;stroke:none}svg .baseline{stroke:#8c959f;stroke-dasharray:4 4}
pre{background:#f6f8fa;padding:12px;overflow:auto;font-size:0.85em}
div.scroll{overflow-x:auto}
footer{margin-top:32px;color:#57606a;font-size:0.85em}
</style>
)";

std::string signed_class(std::int64_t raw) {
    return raw > 0 ? " pos" : raw < 0 ? " neg" : "";
}

}  // namespace

int read_journal_report(const fs::path& dir, const HtmlReportOptions& options,
                        JournalReport& report, std::ostream& err) {
    report = JournalReport{};
    report.journal_dir = dir.string();
    // A torn tail is reported and read up to; corruption refused (a report over a damaged
    // journal would present wrong numbers as a session's).
    ReadableJournal journal_scan;
    if (const int scan_rc = scan_before_reading(dir, journal_scan, err); scan_rc != kExitOk)
        return scan_rc;
    const std::vector<std::string>& streams = journal_scan.streams;
    for (const char* needed : {"input", "gateway"}) {
        if (std::find(streams.begin(), streams.end(), needed) == streams.end()) {
            err << "keel: " << dir.string() << ": no '" << needed
                << "' stream: the report needs the inputs and the gateway's decisions\n";
            return kExitUsage;
        }
    }
    int rc = kExitOk;
    for (const auto& [s, issue] : journal_scan.torn) {
        const std::string where = s + ": torn tail at " + issue.file + " offset " +
                                  std::to_string(issue.offset) + ": " + issue.what;
        err << "keel: " << where << " (the report covers what comes before it)\n";
        if (!report.torn_tail.empty())
            report.torn_tail += "; ";
        report.torn_tail += where;
        rc = kExitFailed;
    }
    if (journal_scan.live) {
        report.torn_tail = "a keel is still writing it; read up to sequence " +
                           std::to_string(journal_scan.read_to_seq);
    }
    // Up to where a live writer's input stream ended when scanned; what it appends after the
    // scan is not read.
    JournalRecords records;
    if (journal::Status s = records.open(dir, {streams, 0, journal_scan.read_to_seq}); !s.ok()) {
        err << "keel: " << s.what() << "\n";
        return kExitUsage;
    }
    ReportBuilder builder(report, options);
    std::string error;
    const JournalRecords::End end = records.read(
        [&](const journal::RecordView& r, const std::string& stream) {
            return builder.on_record(r, stream, error);
        },
        // The scan found no corruption: with a torn tail reported, a bad record is that tail
        // (the report covers what comes before it); without one, the journal changed after
        // the scan and is refused.
        [&](const std::string&, const journal::ScanIssue& issue) {
            if (rc == kExitOk)
                err << "keel: stopped at a bad record in " << describe_issue(issue) << "\n";
        });
    if (end == JournalRecords::End::bad && rc == kExitOk)
        return kExitUsage;
    if (end == JournalRecords::End::stopped) {
        err << "keel: " << dir.string() << ": " << error << "\n";
        return kExitUsage;
    }
    if (!builder.started()) {
        err << "keel: " << dir.string() << ": no session_start: not a session journal\n";
        return kExitUsage;
    }
    builder.finish();
    return rc;
}

namespace {

// The document head and the page title: session, journal, period, seed, config hash,
// and where the journal ended early if it did.
void html_head(std::string& html, const JournalReport& r) {
    const std::string name = escape(r.session_name.empty() ? "(unnamed)" : r.session_name);
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += "<title>keel report: " + name + "</title>\n";
    html += kStyle;
    html += "</head>\n<body>\n";
    html += "<h1>Session " + name + "</h1>\n";
    html += "<p class=\"meta\">journal <code>" + escape(r.journal_dir) + "</code> &middot; ";
    if (r.events_sequenced > 1)
        html +=
            display_time(r.first_ts_ns) + " to " + display_time(r.last_ts_ns) + " UTC &middot; ";
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.config_hash));
    html += "seed " + std::to_string(r.seed) + " &middot; config hash " + hash + "</p>\n";
    if (!r.torn_tail.empty())
        html += "<p class=\"warn\" id=\"torn-tail\">The journal ends early (" +
                escape(r.torn_tail) + "); this report covers what came before.</p>\n";
}

// A ratio with 6 decimals, as the JSON report rounds it.
std::string ratio6(double x) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", std::isfinite(x) ? x : 0.0);
    return buf;
}

// The run's metrics (run_metrics.hpp; replay/README.md, "Metrics").
void html_metrics(std::string& html, const RunMetrics& m) {
    row(html, "sharpe", "Sharpe (daily, annualised)", ratio6(m.sharpe));
    row(html, "sortino", "Sortino (daily, annualised)", ratio6(m.sortino));
    row(html, "return-days", "Daily returns", std::to_string(m.return_days));
    row(html, "cagr", "CAGR", ratio6(m.cagr_pct) + "%");
    row(html, "calmar", "Calmar", ratio6(m.calmar));
    row(html, "profit-factor", "Profit factor", ratio6(m.profit_factor));
    row(html, "expectancy", "Expectancy per trade", dec(m.expectancy.raw));
    row(html, "average-win", "Average win", dec(m.average_win.raw));
    row(html, "average-loss", "Average loss", dec(m.average_loss.raw));
    row(html, "best-trade", "Best trade", dec(m.best_trade.raw));
    row(html, "worst-trade", "Worst trade", dec(m.worst_trade.raw));
    row(html, "average-holding", "Average holding time (s)", ratio6(m.average_holding_s));
    row(html, "losses", "Losing round trips", std::to_string(m.losses));
    row(html, "max-consecutive-losses", "Max consecutive losses",
        std::to_string(m.max_consecutive_losses));
}

// The summary table: counts, P&L, cash and equity, drawdown, exposure.
void html_summary(std::string& html, const JournalReport& r) {
    html += "<h2>Summary</h2>\n<table id=\"summary\">\n";
    row(html, "events", "Events sequenced",
        std::to_string(r.events_sequenced) + " (last seq " + std::to_string(r.last_seq) + ")");
    row(html, "market", "Market data events", std::to_string(r.market_events));
    row(html, "orders-requested", "Orders requested", std::to_string(r.orders_requested));
    row(html, "risk-rejects", "Rejected by risk", std::to_string(r.risk_rejects));
    row(html, "orders-sent", "Orders sent", std::to_string(r.orders_sent));
    row(html, "venue-rejects", "Rejected by the venue", std::to_string(r.venue_rejects));
    row(html, "fills", "Fills", std::to_string(r.fills));
    if (r.fills_not_applied > 0)
        row(html, "fills-not-applied", "Venue fills the gateway refused",
            std::to_string(r.fills_not_applied));
    row(html, "round-trips", "Round trips", std::to_string(r.round_trip_count));
    row(html, "wins", "Winning round trips",
        std::to_string(r.winning_round_trips) + " (" +
            percent(static_cast<i128>(r.winning_round_trips),
                    static_cast<i128>(r.round_trip_count)) +
            ")");
    row(html, "realized", "Realized P&amp;L (after fees)", dec(r.realized.raw));
    row(html, "fees", "Fees", dec(r.fees.raw));
    row(html, "unrealized", "Unrealized P&amp;L", dec(r.unrealized.raw));
    row(html, "total", "Total P&amp;L", dec((r.realized + r.unrealized).raw));
    row(html, "starting-cash", "Starting cash", dec(r.starting_cash.raw));
    row(html, "cash", "Cash", dec(r.cash.raw));
    row(html, "equity", "Final equity", dec(r.equity.raw));
    row(html, "return", "Return", percent((r.equity - r.starting_cash).raw, r.starting_cash.raw));
    row(html, "max-drawdown", "Max drawdown", dec(r.max_drawdown.raw));
    row(html, "max-drawdown-pct", "Max drawdown from peak",
        percent(r.max_drawdown_ppb, engine::kScale));
    row(html, "max-exposure", "Max gross exposure", dec(r.max_gross_exposure.raw));
    row(html, "time-in-market", "Time in market",
        percent(r.time_in_market_ns, r.last_ts_ns - r.first_ts_ns));
    html_metrics(html, r.metrics);
    html += "</table>\n";
}

// Several accounts: one row each, with what the summary above gives for all of them.
void html_accounts(std::string& html, const JournalReport& r) {
    if (r.accounts.empty())
        return;
    html +=
        "<h2>Per account</h2>\n<div class=\"scroll\"><table id=\"accounts\">\n<thead><tr>"
        "<th>Account</th><th class=\"num\">Starting cash</th><th class=\"num\">Final "
        "equity</th><th class=\"num\">Return</th><th class=\"num\">Realized</th>"
        "<th class=\"num\">Unrealized</th><th class=\"num\">Total P&amp;L</th>"
        "<th class=\"num\">Fees</th><th class=\"num\">Max drawdown</th>"
        "<th class=\"num\">Orders sent</th><th class=\"num\">Rejected by risk</th>"
        "<th class=\"num\">Fills</th><th class=\"num\">Round trips</th>"
        "<th class=\"num\">Won</th></tr></thead>\n<tbody>\n";
    for (const ReportAccount& a : r.accounts) {
        const Money total = a.realized + a.unrealized;
        html += "<tr><td>" + escape(a.name) + "</td><td class=\"num\">" + dec(a.starting_cash.raw) +
                "</td><td class=\"num\">" + dec(a.equity.raw) + "</td><td class=\"num\">" +
                percent((a.equity - a.starting_cash).raw, a.starting_cash.raw) +
                "</td><td class=\"num" + signed_class(a.realized.raw) + "\">" +
                dec(a.realized.raw) + "</td><td class=\"num" + signed_class(a.unrealized.raw) +
                "\">" + dec(a.unrealized.raw) + "</td><td class=\"num" + signed_class(total.raw) +
                "\">" + dec(total.raw) + "</td><td class=\"num\">" + dec(a.fees.raw) +
                "</td><td class=\"num\">" + dec(a.max_drawdown.raw) + "</td><td class=\"num\">" +
                std::to_string(a.orders_sent) + "</td><td class=\"num\">" +
                std::to_string(a.risk_rejects) + "</td><td class=\"num\">" +
                std::to_string(a.fills) + "</td><td class=\"num\">" +
                std::to_string(a.round_trip_count) + "</td><td class=\"num\">" +
                std::to_string(a.winning_round_trips) + "</td></tr>\n";
    }
    html += "</tbody>\n</table></div>\n";
}

// The account column of the symbol and trade tables: only when there are several.
std::string account_cell(const JournalReport& r, std::size_t k) {
    if (r.accounts.empty())
        return {};
    return "<td>" + (k < r.accounts.size() ? escape(r.accounts[k].name) : std::to_string(k)) +
           "</td>";
}
std::string account_head(const JournalReport& r) {
    return r.accounts.empty() ? std::string() : std::string("<th>Account</th>");
}

// The equity and drawdown charts.
void html_charts(std::string& html, const JournalReport& r) {
    std::vector<ChartPoint> equity, drawdown;
    equity.reserve(r.equity_curve.size() + 1);
    drawdown.reserve(r.equity_curve.size() + 1);
    // The curve starts at the starting cash, before the first fill or bar.
    if (!r.equity_curve.empty() && r.first_ts_ns < r.equity_curve.front().ts_ns) {
        equity.push_back({r.first_ts_ns, to_double(r.starting_cash)});
        drawdown.push_back({r.first_ts_ns, 0.0});
    }
    std::int64_t peak = r.starting_cash.raw;
    for (const engine::EquityPoint& p : r.equity_curve) {
        peak = std::max(peak, p.equity.raw);
        equity.push_back({p.ts_ns, to_double(p.equity)});
        const double dd =
            peak > 0 ? static_cast<double>(p.equity.raw - peak) / static_cast<double>(peak) * 100.0
                     : 0.0;
        drawdown.push_back({p.ts_ns, dd});
    }
    html += "<h2>Equity</h2>\n";
    chart(html, {"equity-chart", "Equity over time", "equity", false, to_double(r.starting_cash)},
          equity);
    html += "<h2>Drawdown</h2>\n";
    chart(html, {"drawdown-chart", "Drawdown from peak equity", "drawdown from peak (%)", true, {}},
          drawdown);
    if (r.equity_curve.size() + 1 > kChartMaxPoints)
        html += "<p class=\"meta\">" + std::to_string(r.equity_curve.size()) +
                " equity samples, drawn from the lowest and highest of each of " +
                std::to_string(kChartBuckets) + " intervals.</p>\n";
}

// The per-symbol table: position, prices and results of every symbol the journal defined.
void html_symbols(std::string& html, const JournalReport& r) {
    html += "<h2>Per symbol</h2>\n<div class=\"scroll\"><table id=\"symbols\">\n<thead><tr>" +
            account_head(r) +
            "<th>Symbol</th>"
            "<th class=\"num\">Position</th><th class=\"num\">Average price</th>"
            "<th class=\"num\">Last price</th><th class=\"num\">Realized</th>"
            "<th class=\"num\">Unrealized</th><th class=\"num\">Fees</th>"
            "<th class=\"num\">Fills</th><th class=\"num\">Round trips</th>"
            "<th class=\"num\">Won</th></tr></thead>\n<tbody>\n";
    for (const ReportSymbol& s : r.symbols) {
        const engine::PositionState& p = s.position;
        const Money u = p.unrealized();
        html += "<tr>" + account_cell(r, s.account) + "<td>" + escape(s.name) +
                "</td><td class=\"num\">" + dec(p.quantity_raw) + "</td><td class=\"num\">" +
                dec(p.average_price.raw) + "</td><td class=\"num\">" + dec(p.last_price.raw) +
                "</td><td class=\"num" + signed_class(p.realized.raw) + "\">" +
                dec(p.realized.raw) + "</td><td class=\"num" + signed_class(u.raw) + "\">" +
                dec(u.raw) + "</td><td class=\"num\">" + dec(p.fees.raw) +
                "</td><td class=\"num\">" + std::to_string(p.fills) + "</td><td class=\"num\">" +
                std::to_string(s.round_trips) + "</td><td class=\"num\">" +
                std::to_string(s.winning_round_trips) + "</td></tr>\n";
    }
    html += "</tbody>\n</table></div>\n";
}

// The trades table: the first options.max_trade_rows round trips.
void html_trades(std::string& html, const JournalReport& r, const HtmlReportOptions& options) {
    html += "<h2>Trades</h2>\n";
    const std::size_t shown = std::min(r.round_trips.size(), options.max_trade_rows);
    if (shown < r.round_trip_count)
        html += "<p class=\"warn\" id=\"trades-left-out\">The first " + std::to_string(shown) +
                " of " + std::to_string(r.round_trip_count) + " round trips are listed; " +
                std::to_string(r.round_trip_count - shown) +
                " later ones are left out here (the totals above include them, and the journal "
                "has them all).</p>\n";
    else
        html += "<p class=\"meta\">Every closed round trip, " + std::to_string(shown) +
                " in all; positions still open are in the table above.</p>\n";
    html += "<div class=\"scroll\"><table id=\"trades\">\n<thead><tr><th class=\"num\">#</th>" +
            account_head(r) +
            "<th>Symbol</th>"
            "<th>Side</th><th>Entry (UTC)</th><th class=\"num\">Entry price</th>"
            "<th>Exit (UTC)</th><th class=\"num\">Exit price</th><th class=\"num\">Quantity</th>"
            "<th class=\"num\">Fees</th><th class=\"num\">P&amp;L</th><th>Held</th></tr></thead>\n"
            "<tbody>\n";
    for (std::size_t i = 0; i < shown; ++i) {
        const engine::RoundTrip& t = r.round_trips[i];
        const std::string sym = t.symbol < r.symbols.size() ? escape(r.symbols[t.symbol].name)
                                                            : "#" + std::to_string(t.symbol);
        const std::string account =
            i < r.round_trip_accounts.size() ? account_cell(r, r.round_trip_accounts[i]) : "";
        html += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td>" + account + "<td>" +
                sym + "</td><td>" + (t.side == engine::Side::buy ? "long" : "short") + "</td><td>" +
                display_time(t.entry_ns) + "</td><td class=\"num\">" + dec(t.entry_price.raw) +
                "</td><td>" + display_time(t.exit_ns) + "</td><td class=\"num\">" +
                dec(t.exit_price.raw) + "</td><td class=\"num\">" + dec(t.quantity.raw) +
                "</td><td class=\"num\">" + dec(t.fees.raw) + "</td><td class=\"num" +
                signed_class(t.pnl.raw) + "\">" + dec(t.pnl.raw) + "</td><td>" +
                duration(t.holding_ns()) + "</td></tr>\n";
    }
    html += "</tbody>\n</table></div>\n";
}

// The journaled configuration and the footer that ends the page.
void html_config(std::string& html, const JournalReport& r) {
    html +=
        "<h2>Configuration</h2>\n<details><summary>The effective configuration, as "
        "journaled in the session start (secrets masked)</summary>\n<pre id=\"config\">" +
        escape(r.config_text) + "</pre></details>\n";
    html +=
        "<footer>Generated by keel from the journal alone: every accepted fill and every "
        "mark replayed through the engine's account as the gateway applied them. Money, "
        "prices and quantities are exact decimals.</footer>\n</body>\n</html>\n";
}

}  // namespace

std::string render_html_report(const JournalReport& r, const HtmlReportOptions& options) {
    std::string html;
    html.reserve(64 * 1024 + r.round_trips.size() * 400);
    html_head(html, r);
    html_summary(html, r);
    html_accounts(html, r);
    html_charts(html, r);
    html_symbols(html, r);
    html_trades(html, r, options);
    html_config(html, r);
    return html;
}

int write_html_report(const fs::path& dir, const fs::path& html_file,
                      const HtmlReportOptions& options, std::ostream& out, std::ostream& err) {
    JournalReport report;
    const int rc = read_journal_report(dir, options, report, err);
    if (rc == kExitUsage)
        return kExitUsage;
    const std::string html = render_html_report(report, options);
    std::ofstream f(html_file, std::ios::binary | std::ios::trunc);
    if (!f) {
        err << "keel: " << html_file.string() << ": cannot write: " << std::strerror(errno) << "\n";
        return kExitUsage;
    }
    f.write(html.data(), static_cast<std::streamsize>(html.size()));
    f.close();
    if (!f) {
        err << "keel: " << html_file.string() << ": write failed: " << std::strerror(errno) << "\n";
        return kExitUsage;
    }
    out << "keel: wrote " << html_file.string() << " (" << html.size()
        << " bytes): " << report.fills << " fills, " << report.round_trip_count
        << " round trips, realized " << dec(report.realized.raw) << ", equity "
        << dec(report.equity.raw) << "\n";
    return rc;
}

}  // namespace keel::replay
