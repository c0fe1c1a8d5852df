#include "keel/adapters/sim_venue/venue_config.hpp"

#include "keel/adapters/fix/fix_venue_config.hpp"
#include "keel/engine/config/config_reader.hpp"

namespace {
constexpr std::int64_t kMaxLatencyNs = 3'600'000'000'000;  // an hour
}  // namespace

#include <set>
#include <string>

namespace keel::adapters {
namespace {

using engine::ConfigError;
using engine::Json;

// Reads one object's keys, collecting errors with key paths; unknown keys are errors too.
class Fields {
  public:
    Fields(const Json& obj, std::string path, std::vector<ConfigError>& errors)
        : obj_(obj), path_(std::move(path)), errors_(errors) {}

    const Json* get(const char* key) {
        seen_.insert(key);
        const auto it = obj_.find(key);
        return it == obj_.end() || it->is_null() ? nullptr : &*it;
    }
    void error(const char* key, const std::string& what) {
        errors_.push_back({path_ + "." + key, what});
    }
    template <class F>
    void decimal(const char* key, F& out, bool non_negative = true) {
        const Json* v = get(key);
        if (v == nullptr)
            return;
        std::string text = v->is_string() ? v->get<std::string>()
                                          : (v->is_number_integer() ? v->dump() : std::string());
        if (text.empty()) {
            error(key, "expected a decimal string such as \"0.5\" or an integer");
            return;
        }
        std::int64_t raw = 0;
        const engine::DecimalError e = engine::parse_decimal(text, raw);
        if (e != engine::DecimalError::ok) {
            error(key, "'" + text + "': " + std::string(engine::to_string(e)));
            return;
        }
        if (non_negative && raw < 0) {
            error(key, "must not be negative");
            return;
        }
        if (raw > engine::kMaxConfigDecimalRaw || raw < -engine::kMaxConfigDecimalRaw) {
            error(key, "'" + text + "' is outside the range of a decimal setting (" +
                           engine::kConfigDecimalRange + ")");
            return;
        }
        out = F::from_raw(raw);
    }
    template <class I>
    void integer(const char* key, I& out, std::int64_t lo, std::int64_t hi) {
        const Json* v = get(key);
        if (v == nullptr)
            return;
        if (!v->is_number_integer() || v->get<std::int64_t>() < lo || v->get<std::int64_t>() > hi) {
            error(key, "expected an integer between " + std::to_string(lo) + " and " +
                           std::to_string(hi));
            return;
        }
        out = static_cast<I>(v->get<std::int64_t>());
    }
    std::string string(const char* key) {
        const Json* v = get(key);
        if (v == nullptr)
            return {};
        if (!v->is_string()) {
            error(key, "expected a string");
            return {};
        }
        return v->get<std::string>();
    }
    const Json* object(const char* key) {
        const Json* v = get(key);
        if (v != nullptr && !v->is_object()) {
            error(key, "expected an object");
            return nullptr;
        }
        return v;
    }
    void finish() {
        for (const auto& [key, _] : obj_.items()) {
            if (!seen_.contains(key))
                errors_.push_back({path_ + "." + key, "unknown key"});
        }
    }
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    const Json& obj_;
    std::string path_;
    std::vector<ConfigError>& errors_;
    std::set<std::string> seen_;
};

}  // namespace

SimVenueConfig sim_venue_config_from_json(const Json& venue, std::size_t symbol_capacity,
                                          std::vector<ConfigError>& errors,
                                          std::optional<engine::Money> account_cash) {
    SimVenueConfig c;
    c.mode = MatchMode::per_event;
    c.symbol_capacity = symbol_capacity == 0 ? 1 : symbol_capacity;
    // The venue's buying power follows the account it serves unless venue.buying_power says
    // otherwise: a venue figure of its own would refuse orders the account can pay for.
    if (account_cash)
        c.buying_power = *account_cash;
    if (!venue.is_object())
        return c;
    Fields f(venue, "venue", errors);
    (void)f.get("type");  // read by the engine's loader
    for (const char* key : {"threaded", "idle", "drain_ms"})
        (void)f.get(key);  // venue_threading_from_json
    const std::string mode = f.string("mode");
    if (mode == "bars")
        c.mode = MatchMode::bars;
    else if (mode == "ticks")
        c.mode = MatchMode::ticks;
    else if (mode == "per_event" || mode.empty())
        c.mode = MatchMode::per_event;
    else
        f.error("mode", "'" + mode + "' is not one of bars, ticks, per_event");
    f.integer("resting_capacity", c.resting_capacity, 1, 1 << 20);
    f.integer("max_fills_per_event", c.max_fills_per_event, 1, 4096);
    f.decimal("participation", c.participation);
    f.decimal("buying_power", c.buying_power);
    // At most an hour each: a reply is stamped submit + latency, and engine time follows the
    // replies, so a latency of years would carry the session's clock past int64 in a few
    // round trips (found by ConfigRanges under UBSan).
    f.integer("latency_ns", c.latency_ns, 0, kMaxLatencyNs);
    f.integer("latency_jitter_ns", c.latency_jitter_ns, 0, kMaxLatencyNs);
    if (const Json* v = f.get("fill_at_alert_price")) {
        if (v->is_boolean())
            c.fill_at_alert_price = v->get<bool>();
        else
            f.error("fill_at_alert_price", "expected true or false");
    }
    if (const Json* s = f.object("slippage")) {
        Fields sf(*s, "venue.slippage", errors);
        const std::string model = sf.string("model");
        if (model == "none" || model.empty())
            c.slippage = SlippageModel::none;
        else if (model == "fixed_bps")
            c.slippage = SlippageModel::fixed_bps;
        else if (model == "size_based")
            c.slippage = SlippageModel::size_based;
        else if (model == "volatility")
            c.slippage = SlippageModel::volatility;
        else
            sf.error("model",
                     "'" + model + "' is not one of none, fixed_bps, size_based, volatility");
        sf.decimal("bps", c.slippage_bps);
        sf.decimal("bps_per_pct", c.slippage_bps_per_pct);
        sf.decimal("volatility_k", c.volatility_k);
        sf.finish();
    }
    if (const Json* s = f.object("commission")) {
        Fields cf(*s, "venue.commission", errors);
        const std::string model = cf.string("model");
        if (model == "none" || model.empty())
            c.commission = CommissionModel::none;
        else if (model == "per_share")
            c.commission = CommissionModel::per_share;
        else if (model == "bps")
            c.commission = CommissionModel::bps;
        else
            cf.error("model", "'" + model + "' is not one of none, per_share, bps");
        cf.decimal("per_share", c.commission_per_share);
        cf.decimal("bps", c.commission_bps);
        cf.decimal("min", c.commission_min);
        cf.finish();
    }
    f.finish();
    for (const std::string& problem : validate(c)) {
        // validate() says "field: what"; name it by its key path like every other error.
        const auto colon = problem.find(": ");
        if (colon == std::string::npos)
            errors.push_back({"venue", problem});
        else
            errors.push_back({"venue." + problem.substr(0, colon), problem.substr(colon + 2)});
    }
    return c;
}

VenueThreading venue_threading_from_json(const Json& venue, std::vector<ConfigError>& errors) {
    VenueThreading t;
    if (!venue.is_object())
        return t;
    // No finish(): the venue type's own reader reports unknown keys.
    Fields f(venue, "venue", errors);
    if (const Json* v = f.get("threaded")) {
        if (v->is_boolean())
            t.threaded = v->get<bool>();
        else
            f.error("threaded", "expected true or false");
    }
    const std::string idle = f.string("idle");
    if (!idle.empty()) {
        const std::optional<engine::IdleKind> kind = engine::parse_idle_kind(idle);
        if (kind && *kind != engine::IdleKind::backoff)
            t.idle = *kind;
        else
            f.error("idle", "'" + idle + "' is not one of busy_spin, yield, park");
    }
    f.integer("drain_ms", t.drain_ms, 0, 600'000);
    return t;
}

void validate_adapter_config(const engine::Config& config, std::vector<ConfigError>& errors) {
    if (config.venue_type == "sim")
        (void)sim_venue_config_from_json(config.venue_json, config.symbol_capacity, errors);
    else if (config.venue_type == "fix")
        (void)fix::fix_venue_config_from_json(config.venue_json, errors);
    (void)venue_threading_from_json(config.venue_json, errors);
}

}  // namespace keel::adapters
