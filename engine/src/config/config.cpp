#include "keel/engine/config/config.hpp"
#include "keel/engine/config/strict_json.hpp"

#include "keel/engine/config/config_reader.hpp"
#include "keel/engine/config/session_zone.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "operations_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

extern char** environ;

namespace keel::engine {
namespace {

using Reader = ConfigReader;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::optional<std::int64_t> parse_interval(const std::string& s) {
    if (s.size() < 2)
        return std::nullopt;
    const char unit = s.back();
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i])) || n > 1'000'000)
            return std::nullopt;
        n = n * 10 + (s[i] - '0');
    }
    if (n <= 0)
        return std::nullopt;
    switch (unit) {
        case 's':
            return n;
        case 'm':
            return n * 60;
        case 'h':
            return n * 3600;
        case 'd':
            return n * 86400;
        default:
            return std::nullopt;
    }
}

int weekday_bit(std::string d) {
    d = lower(d);
    static constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; ++i) {
        if (d == kDays[i])
            return i;
    }
    return -1;
}

// "2024-05-28" -> that day's 00:00 UTC in ns.
std::optional<std::int64_t> parse_date_ns(const std::string& s) {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        m < 1 || m > 12 || d < 1)
        return std::nullopt;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0))
        return std::nullopt;
    // Days from civil (Howard Hinnant's algorithm).
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
    return days * 86'400'000'000'000;
}

// "5m", "1h", "1d" -> minutes (whole minutes only).
std::optional<std::uint32_t> parse_timeframe(const std::string& s) {
    const auto secs = parse_interval(s);
    if (!secs || *secs % 60 != 0 || *secs / 60 > 0xFFFF)
        return std::nullopt;
    return static_cast<std::uint32_t>(*secs / 60);
}

SizingPolicy read_sizing(std::vector<ConfigError>& errors, const Json& obj,
                         const std::string& path);

// Sets the value at parts (object keys, array indices) in root, creating missing object keys.
// An existing key matches whatever its case (environment names are upper case, symbol names
// such as MSFT are too); a new key is created as given. Returns the value's key path as errors
// name it ("strategies[0].fast"), or nullopt after adding an error at `where`.
std::optional<std::string> apply_override(Json& root, const std::vector<std::string>& parts,
                                          const std::string& value, const std::string& where,
                                          std::vector<ConfigError>& errors) {
    if (parts.empty() ||
        std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
        errors.push_back({where, "malformed key: a part of its path is empty"});
        return std::nullopt;
    }
    Json* node = &root;
    std::string path;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        const std::string& key = parts[i];
        if (node->is_array()) {
            const bool numeric = std::all_of(key.begin(), key.end(),
                                             [](unsigned char c) { return std::isdigit(c) != 0; });
            const std::size_t idx = numeric && key.size() < 9 ? std::stoul(key) : SIZE_MAX;
            if (idx >= node->size()) {
                errors.push_back({where, "no array element '" + key + "' to override in " +
                                             (path.empty() ? "(root)" : path) + " (it has " +
                                             std::to_string(node->size()) + ")"});
                return std::nullopt;
            }
            node = &(*node)[idx];
            path += "[" + key + "]";
        } else if (node->is_object() || node->is_null()) {
            std::string k = key;
            if (node->is_object() && !node->contains(k)) {
                for (const auto& [existing, unused] : node->items()) {
                    if (lower(existing) == lower(key)) {
                        k = existing;
                        break;
                    }
                }
            }
            if (!last && !node->contains(k))
                (*node)[k] = Json::object();
            node = &(*node)[k];
            path += (path.empty() ? "" : ".") + k;
        } else {
            errors.push_back({where, "'" + key + "' is inside " + path +
                                         ", a value that is not an object or array"});
            return std::nullopt;
        }
    }
    // The value is JSON when it parses as JSON (integers, true, arrays, "quoted"), else a
    // string. Numbers with a fraction stay strings: "2.5" is an exact decimal to keel.
    Json parsed;
    StrictJsonError e;
    if (!parse_strict_json(value, parsed, e)) {
        if (!e.path.empty() || e.message.rfind("invalid JSON", 0) != 0) {
            errors.push_back({where, e.message + (e.path.empty() ? "" : " at " + e.path)});
            return std::nullopt;
        }
        parsed = Json::value_t::discarded;
    }
    *node = parsed.is_discarded() || parsed.is_number_float() ? Json(value) : parsed;
    return path;
}

void apply_env(Json& root, const std::vector<std::string>& env, std::vector<ConfigError>& errors) {
    // Sorted, so that overrides apply in a deterministic order whatever the environment's.
    std::vector<std::string> sorted;
    for (const std::string& entry : env) {
        if (entry.rfind("KEEL__", 0) == 0)
            sorted.push_back(entry);
    }
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& entry : sorted) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos)
            continue;
        const std::string name = entry.substr(0, eq);
        std::vector<std::string> parts;
        for (std::size_t pos = 6; pos <= name.size();) {
            const auto next = name.find("__", pos);
            const auto end = next == std::string::npos ? name.size() : next;
            parts.push_back(lower(name.substr(pos, end - pos)));
            pos = end + 2;
        }
        (void)apply_override(root, parts, entry.substr(eq + 1), "env " + name, errors);
    }
}

// Command-line overrides, in the order given (a later one wins). Returns, per override that
// applied, its key path and a note naming it, so validation errors about it say where the
// value came from.
std::vector<std::pair<std::string, std::string>> apply_overrides(
    Json& root, const std::vector<ConfigOverride>& overrides, std::vector<ConfigError>& errors) {
    std::vector<std::pair<std::string, std::string>> applied;
    for (const ConfigOverride& o : overrides) {
        std::vector<std::string> parts;
        for (std::size_t pos = 0; pos <= o.key.size();) {
            const auto next = o.key.find('.', pos);
            const auto end = next == std::string::npos ? o.key.size() : next;
            parts.push_back(o.key.substr(pos, end - pos));
            pos = end + 1;
        }
        const std::string where = o.origin.empty() ? "--set " + o.key : o.origin;
        if (auto path = apply_override(root, parts, o.value, where, errors))
            applied.emplace_back(*path, o.origin.empty() ? where + "=" + o.value : o.origin);
    }
    return applied;
}

SizingPolicy read_sizing(std::vector<ConfigError>& errors, const Json& obj,
                         const std::string& path) {
    Reader r(errors, obj, path);
    SizingPolicy p;
    const std::string type = r.string("type", true).value_or("");
    std::optional<std::int64_t> lot = r.decimal("lot", false);
    const Quantity lot_q = Quantity::from_raw(lot.value_or(kScale));
    // A parameter that is missing or malformed is reported once, where it is; the policy's
    // own check runs only on a complete policy, so one mistake gives one message.
    bool complete = true;
    auto need = [&](const char* key) {
        const std::optional<std::int64_t> v = r.decimal(key, true);
        complete = complete && v.has_value();
        return v.value_or(0);
    };
    if (type == "fixed_quantity") {
        p = SizingPolicy::fixed(Quantity::from_raw(need("quantity")), lot_q);
    } else if (type == "fixed_notional") {
        p = SizingPolicy::fixed_value(Money::from_raw(need("notional")), lot_q);
    } else if (type == "percent_risk") {
        const Ratio risk = Ratio::from_raw(need("risk"));
        p = SizingPolicy::percent_risk(risk, Ratio::from_raw(need("atr_multiple")), lot_q);
    } else {
        if (!type.empty()) {
            r.error("type", "unknown sizing '" + type +
                                "' (available: fixed_quantity, fixed_notional, percent_risk)");
        }
        // Without a known type its parameters cannot be told apart from unknown keys.
        for (const char* key : {"quantity", "notional", "risk", "atr_multiple"})
            (void)r.get(key, false);
        complete = false;
    }
    if (complete) {
        const std::string_view problem = p.problem();
        if (!problem.empty())
            errors.push_back({path, std::string(problem)});
    }
    r.finish();
    return p;
}

// Records "expected an object, got ..." at path when j is not an object. Config lists and maps
// hold objects; the caller skips an entry that is not one, since none of its keys can be read.
bool expect_object(const Json& j, const std::string& path, std::vector<ConfigError>& errors) {
    if (j.is_object())
        return true;
    errors.push_back({path, std::string("expected an object, got ") + type_name(j)});
    return false;
}

// An optional integer setting within [lo, hi]. It is its default when absent and also when
// wrong: the error is recorded, so a config holding it is refused anyway.
template <typename T>
T bounded(Reader& r, const char* key, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
    return static_cast<T>(r.integer(key, false, lo, hi, fallback).value_or(fallback));
}

// A "days" list of weekday names (any case) -> one bit per day, bit 0 Monday. An entry that is
// not a weekday is recorded and adds no bit.
std::int64_t read_weekdays(Reader& r, const Json& days) {
    std::int64_t mask = 0;
    for (std::size_t k = 0; k < days.size(); ++k) {
        const Json& d = days[k];
        const int bit = d.is_string() ? weekday_bit(d.get<std::string>()) : -1;
        if (bit < 0)
            r.error("days[" + std::to_string(k) + "]", "expected a weekday such as \"mon\"");
        else
            mask |= std::int64_t{1} << bit;
    }
    return mask;
}

void read_session(const Json& s, Config& c, std::vector<ConfigError>& errors) {
    Reader r(errors, s, "session");
    c.session_name = r.string("name", true).value_or("");
    c.symbol_capacity = bounded<std::uint32_t>(r, "symbol_capacity", 1, 65536, 1024);
    c.seed = bounded<std::uint64_t>(r, "seed", 0, INT64_MAX, 0);
    r.finish();
}

// How one data file is read as it comes (issue 18): columns, time_format, tz, delimiter,
// skip_rows, adjusted. The zone is checked here, so a typo is listed with the other problems;
// the format and the column names are checked by the CSV reader, which knows them.
void read_data_file_format(Reader& r, DataFileConfig& dfc) {
    if (const Json* cols = r.object("columns", false)) {
        for (const auto& [keel_name, file_name] : cols->items()) {
            if (!file_name.is_string() || file_name.get<std::string>().empty())
                r.error("columns." + keel_name, "expected the header's column name (a string)");
            else
                dfc.columns.emplace_back(keel_name, file_name.get<std::string>());
        }
    }
    dfc.time_format = r.string("time_format", false).value_or("");
    dfc.tz = r.string("tz", false).value_or("");
    if (!dfc.tz.empty() && !is_time_zone(dfc.tz))
        r.error("tz",
                "'" + dfc.tz + "' is not a time zone of the tz database (e.g. Europe/Zurich)");
    if (auto d = r.string("delimiter", false, ",")) {
        if (d->size() != 1 || *d == "\"" || *d == "\n" || *d == "\r")
            r.error("delimiter", "expected one character, such as \",\", \";\" or \"\\t\"");
        else
            dfc.delimiter = (*d)[0];
    }
    dfc.skip_rows =
        static_cast<std::uint32_t>(r.integer("skip_rows", false, 0, 1000, 0).value_or(0));
    dfc.adjusted = r.boolean("adjusted", false).value_or(false);
}

// One data file. Its path resolves against the config's folder and must name a file now, so
// that a typo is reported with the other problems instead of when the session starts.
DataFileConfig read_data_file(const Json& f, const std::string& path,
                              const std::filesystem::path& base_dir,
                              std::vector<ConfigError>& errors) {
    Reader r(errors, f, path);
    DataFileConfig dfc;
    dfc.path = r.string("path", true).value_or("");
    dfc.symbol = r.string("symbol", false).value_or("");
    if (auto iv = r.string("bar_interval", false)) {
        if (!iv->empty()) {
            dfc.bar_interval_s = parse_interval(*iv);
            if (!dfc.bar_interval_s)
                r.error("bar_interval", "'" + *iv + "' is not an interval like 30m, 1h, 1d");
        }
    }
    read_data_file_format(r, dfc);
    if (!dfc.path.empty()) {
        dfc.resolved = std::filesystem::path(dfc.path).is_absolute()
                           ? std::filesystem::path(dfc.path)
                           : base_dir / dfc.path;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(dfc.resolved, ec))
            r.error("path", "file not found: " + dfc.resolved.string());
    }
    r.finish();
    return dfc;
}

void read_data(const Json& d, const std::filesystem::path& base_dir, Config& c,
               std::vector<ConfigError>& errors) {
    Reader r(errors, d, "data");
    if (const Json* files = r.array("files", true)) {
        if (files->empty())
            r.error("files", "needs at least one file");
        for (std::size_t i = 0; i < files->size(); ++i) {
            const std::string path = "data.files[" + std::to_string(i) + "]";
            if (expect_object((*files)[i], path, errors))
                c.data_files.push_back(read_data_file((*files)[i], path, base_dir, errors));
        }
    }
    c.pace_events_per_s = bounded<std::uint64_t>(r, "pace_events_per_s", 0, 100'000'000, 0);
    c.skip_bad_rows = r.boolean("skip_bad_rows", false).value_or(false);
    c.sort_rows = r.boolean("sort", false).value_or(false);
    c.max_spread_pct = bounded<std::uint32_t>(r, "max_spread_pct", 0, 10'000, 20);
    r.finish();
}

// `metrics`: equity sampling for the run's metrics (replay/README.md, "Metrics").
void read_metrics(const Json& m, MetricsConfig& out, std::vector<ConfigError>& errors) {
    Reader r(errors, m, "metrics");
    const std::string sampling = r.string("equity_sampling", false, "auto").value_or("auto");
    if (sampling == "auto")
        out.equity_sampling = EquitySampling::automatic;
    else if (sampling == "bar")
        out.equity_sampling = EquitySampling::bar;
    else if (sampling == "daily")
        out.equity_sampling = EquitySampling::daily;
    else
        r.error("equity_sampling", "'" + sampling + "' is not one of auto, bar, daily");
    r.finish();
}

void read_account(const Json& a, Config& c, std::vector<ConfigError>& errors) {
    Reader r(errors, a, "account");
    if (auto cash = r.decimal("starting_cash", false)) {
        if (*cash < 0)
            r.error("starting_cash", "must not be negative");
        c.starting_cash = Money::from_raw(*cash);
    }
    r.finish();
}

// open and close as HH:MM[:SS]; the zone (tz or utc_offset), calendar and days. Shared by the
// sessions and risk's trading hours; the resolved zone and calendar go to c.resolved under
// `where` for the journaled config.
TradingSession read_trading_session(const Json& body, const std::string& path,
                                    const std::filesystem::path& base_dir, Config& c,
                                    std::vector<ConfigError>& errors) {
    Reader r(errors, body, path);
    TradingSession ts;
    if (auto open = r.string("open", true)) {
        if (auto t = parse_time_of_day(*open, false))
            ts.open_s = *t;
        else
            r.error("open", "'" + *open + "' is not a time of day like 09:30 or 09:30:00");
    }
    if (auto close = r.string("close", true)) {
        if (auto t = parse_time_of_day(*close, true))
            ts.close_s = *t;
        else
            r.error("close", "'" + *close + "' is not a time of day like 16:00 (or 24:00)");
    }
    if (const Json* days = r.array("days", false))
        ts.weekdays = static_cast<std::uint8_t>(read_weekdays(r, *days));
    // Name the key the problem is in (the open always parses into range).
    const SessionError se = validate(ts);
    if (se != SessionError::ok) {
        const char* key = se == SessionError::close_out_of_range    ? "close"
                          : se == SessionError::offset_out_of_range ? "utc_offset"
                          : se == SessionError::no_trading_days     ? "days"
                                                                    : "open";
        r.error(key, std::string(to_string(se)));
    }
    Json resolved = read_session_zone(r, base_dir, ZoneKeys{true}, ts);
    if (!resolved.is_null())
        c.resolved.emplace_back(path, std::move(resolved));
    r.finish();
    return ts;
}

void read_sessions(const Json& sessions, const std::filesystem::path& base_dir, Config& c,
                   std::vector<ConfigError>& errors) {
    for (const auto& [name, body] : sessions.items()) {
        const std::string path = "sessions." + name;
        if (expect_object(body, path, errors))
            c.sessions[name] = read_trading_session(body, path, base_dir, c, errors);
    }
}

// How webhook alerts may name a symbol: its exchange and aliases (SymbolConfig).
void read_symbol_routes(Reader& r, SymbolConfig& sym) {
    sym.exchange = r.string("exchange", false).value_or("");
    if (sym.exchange.find(':') != std::string::npos)
        r.error("exchange", "must not contain ':'");
    const Json* aliases = r.array("aliases", false);
    for (std::size_t k = 0; aliases != nullptr && k < aliases->size(); ++k) {
        const Json& a = (*aliases)[k];
        if (!a.is_string() || a.get<std::string>().empty())
            r.error("aliases[" + std::to_string(k) + "]", "expected a ticker");
        else
            sym.aliases.push_back(a.get<std::string>());
    }
}

// A symbol may name a trading session, so the sessions section is read before this one.
SymbolConfig read_symbol(const Json& body, const std::string& name, const std::string& path,
                         const std::map<std::string, TradingSession>& sessions,
                         std::vector<ConfigError>& errors) {
    Reader r(errors, body, path);
    SymbolConfig sym;
    sym.name = name;
    if (auto tick = r.decimal("tick_size", false)) {
        if (*tick <= 0)
            r.error("tick_size", "must be positive");
        sym.tick_size = Price::from_raw(*tick);
    }
    if (auto v = r.decimal("min_price", false)) {
        if (*v < 0)
            r.error("min_price", "must not be negative");
        sym.min_price = Price::from_raw(*v);
    }
    if (auto v = r.decimal("max_price", false)) {
        if (*v <= 0)
            r.error("max_price", "must be positive");
        else if (*v <= sym.min_price.raw)
            r.error("max_price", "must be above min_price");
        sym.max_price = Price::from_raw(*v);
    }
    if (auto v = r.decimal("max_jump_pct", false)) {
        if (*v < 0 || *v > 1000 * kScale)
            r.error("max_jump_pct", "must be between 0 (no jump check) and 1000");
        sym.max_jump_pct = Ratio::from_raw(*v);
    }
    sym.session = r.string("session", false).value_or("");
    if (!sym.session.empty() && !sessions.contains(sym.session))
        r.error("session", "no session named '" + sym.session + "' under sessions");
    read_symbol_routes(r, sym);
    r.finish();
    return sym;
}

// Every name an alert may give a symbol by (names and aliases) names one symbol only.
void check_alias_clashes(const Config& c, std::vector<ConfigError>& errors) {
    std::map<std::string, std::string> owner;
    for (const SymbolConfig& s : c.symbols)
        owner.emplace(s.name, s.name);
    for (const SymbolConfig& s : c.symbols) {
        for (std::size_t k = 0; k < s.aliases.size(); ++k) {
            const auto [it, fresh] = owner.emplace(s.aliases[k], s.name);
            if (!fresh && it->second != s.name)
                errors.push_back({"symbols." + s.name + ".aliases[" + std::to_string(k) + "]",
                                  "'" + s.aliases[k] + "' already names symbol " + it->second});
        }
    }
}

void read_symbols(const Json& symbols, Config& c, std::vector<ConfigError>& errors) {
    for (const auto& [name, body] : symbols.items()) {
        const std::string path = "symbols." + name;
        if (expect_object(body, path, errors))
            c.symbols.push_back(read_symbol(body, name, path, c.sessions, errors));
    }
    check_alias_clashes(c, errors);
}

// A list of names, each appended to out; an entry that is not a string is recorded under
// key[k] with `problem`.
void read_names(Reader& r, const std::string& key, const Json& list, const std::string& problem,
                std::vector<std::string>& out) {
    for (std::size_t k = 0; k < list.size(); ++k) {
        if (!list[k].is_string())
            r.error(key + "[" + std::to_string(k) + "]", problem);
        else
            out.push_back(list[k].get<std::string>());
    }
}

// The optional "timeframe" ("5m", "1h") in minutes; out is left as it is when the key is
// absent, empty or wrong. `like` gives the examples the error message shows.
void read_timeframe(Reader& r, const std::string& like, std::uint32_t& out) {
    if (auto tf = r.string("timeframe", false); tf && !tf->empty()) {
        if (auto m = parse_timeframe(*tf))
            out = *m;
        else
            r.error("timeframe", "'" + *tf + "' is not a timeframe like " + like);
    }
}

// One symbol ("symbol") or, for alert_follower, several ("symbols").
void read_strategy_symbols(Reader& r, bool alerts, std::vector<std::string>& out) {
    if (alerts && r.get("symbols", false) != nullptr) {
        if (const Json* names = r.array("symbols", true)) {
            read_names(r, "symbols", *names, "expected a string", out);
            if (out.empty())
                r.error("symbols", "needs at least one symbol");
        }
    } else if (auto sym = r.string("symbol", true)) {
        out.push_back(*sym);
    }
}

// A strategy names each of its symbols once: taken holds those it named before. (Several
// strategies may trade one symbol: check_shared_symbols.)
void claim_symbols(Reader& r, const std::vector<std::string>& symbols,
                   std::set<std::string>& taken) {
    for (std::size_t k = 0; k < symbols.size(); ++k) {
        if (!symbols[k].empty() && !taken.insert(symbols[k]).second) {
            r.error(
                symbols.size() > 1 ? "symbols[" + std::to_string(k) + "]" : std::string("symbol"),
                "'" + symbols[k] + "' is listed twice");
        }
    }
}

// Sizing: "sizing": {...}, or the shorthand "quantity" for a fixed size.
SizingPolicy read_strategy_sizing(Reader& r, const std::string& path, bool alerts,
                                  std::vector<ConfigError>& errors) {
    const bool has_quantity = r.get("quantity", false) != nullptr;
    const Json* sizing = r.object("sizing", false);
    if (has_quantity && sizing != nullptr) {
        r.error("quantity", "give either quantity or sizing, not both");
    } else if (has_quantity) {
        if (auto q = r.decimal("quantity", true)) {
            const SizingPolicy p = SizingPolicy::fixed(Quantity::from_raw(*q));
            if (*q <= 0)
                r.error("quantity", "must be positive");
            else if (const std::string_view problem = p.problem(); !problem.empty())
                r.error("quantity", std::string(problem));
            return p;
        }
    } else if (sizing != nullptr) {
        return read_sizing(errors, *sizing, path + ".sizing");
    } else if (!alerts) {
        r.error("sizing", "is required (or the shorthand quantity)");
    }
    // The default policy's zero quantity means no_size: an alert_follower's alerts may carry
    // their own sizes, and any other strategy without a usable size has an error recorded.
    return SizingPolicy{};
}

void read_sma_cross(Reader& r, StrategyConfig& sc) {
    const auto fast = r.integer("fast", true, 1, 1'000'000);
    const auto slow = r.integer("slow", true, 2, 1'000'000);
    if (fast && slow && *fast >= *slow)
        r.error("fast", "must be less than slow");
    sc.fast = static_cast<std::uint32_t>(fast.value_or(0));
    sc.slow = static_cast<std::uint32_t>(slow.value_or(0));
    read_timeframe(r, "5m, 1h, 1d", sc.timeframe_minutes);
}

// An optional duration ("30m") in whole minutes; its default when absent, empty or wrong.
std::uint32_t read_minutes(Reader& r, const char* key, std::uint32_t fallback) {
    const std::string v = r.string(key, false, "").value_or("");
    if (v.empty())
        return fallback;
    if (auto m = parse_timeframe(v))
        return *m;
    r.error(key, "'" + v + "' is not a duration like 5m, 30m, 1h");
    return fallback;
}

// An optional positive decimal ratio (raw fixed point) into out, which keeps its default when
// the key is absent or malformed.
void read_positive_ratio(Reader& r, const char* key, std::int64_t& out) {
    if (auto v = r.decimal(key, false)) {
        if (*v <= 0)
            r.error(key, "must be positive");
        out = *v;
    }
}

void read_orb(Reader& r, StrategyConfig& sc) {
    OrbParams& o = sc.orb;
    o.interval_minutes = read_minutes(r, "timeframe", 5);
    o.range_minutes = read_minutes(r, "range", 30);
    o.trend_interval_minutes = read_minutes(r, "trend_timeframe", 60);
    o.flat_before_close_minutes = read_minutes(r, "flat_before_close", 5);
    o.trend_ema = bounded<std::uint32_t>(r, "trend_ema", 1, 100'000, 20);
    o.volume_sma = bounded<std::uint32_t>(r, "volume_sma", 1, 100'000, 20);
    o.atr_period = bounded<std::uint32_t>(r, "atr_period", 1, 100'000, 14);
    read_positive_ratio(r, "volume_factor", o.volume_factor_raw);
    read_positive_ratio(r, "stop_atr", o.stop_atr_raw);
    read_positive_ratio(r, "target_atr", o.target_atr_raw);
    if (o.range_minutes < o.interval_minutes)
        r.error("range", "must span at least one bar of the timeframe");
    if (o.trend_interval_minutes == o.interval_minutes)
        r.error("trend_timeframe", "must differ from timeframe");
    o.allow_short = sc.allow_short;
    o.sizing = sc.sizing;
}

// One entry of an alert_follower's "sizes": the size for one of its symbols (and timeframe).
AlertSizeConfig read_alert_size(const Json& e, const std::string& path,
                                const std::vector<std::string>& symbols,
                                std::vector<ConfigError>& errors) {
    Reader r(errors, e, path);
    AlertSizeConfig a;
    a.symbol = r.string("symbol", true).value_or("");
    if (!a.symbol.empty() && std::find(symbols.begin(), symbols.end(), a.symbol) == symbols.end())
        r.error("symbol", "'" + a.symbol + "' is not one of this strategy's symbols");
    read_timeframe(r, "30m", a.timeframe_minutes);
    const auto q = r.decimal("quantity", false);
    const auto n = r.decimal("notional", false);
    if (q.has_value() == n.has_value())
        r.error("quantity", "give exactly one of quantity or notional");
    if (q && *q <= 0)
        r.error("quantity", "must be positive");
    if (n && *n <= 0)
        r.error("notional", "must be positive");
    a.quantity = Quantity::from_raw(q.value_or(0));
    a.notional = Money::from_raw(n.value_or(0));
    r.finish();
    return a;
}

void read_alert_sizes(const Json& sizes, const std::string& path, StrategyConfig& sc,
                      std::vector<ConfigError>& errors) {
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        const std::string sp = path + ".sizes[" + std::to_string(k) + "]";
        if (!sizes[k].is_object()) {
            errors.push_back({sp, "expected an object"});
            continue;
        }
        sc.alert_sizes.push_back(read_alert_size(sizes[k], sp, sc.symbols, errors));
    }
}

// The keys an alert_follower's per-symbol defaults may set, and the alert fields they may not
// (a price belongs to one alert, not to every alert of a symbol).
constexpr std::string_view kAlertDefaultKeys[] = {
    "order_type",         "time_in_force",     "tif",
    "trail",              "take_profit_offset", "take_profit_ticks",
    "take_profit_percent", "stop_loss_offset",  "stop_loss_ticks",
    "stop_loss_percent"};
constexpr std::string_view kAlertPriceKeys[] = {"price", "limit_price", "stop_price",
                                                "take_profit", "stop_loss"};

// One symbol's defaults, checked key by key and then as the alert parser reads them.
void read_alert_default(const std::string& name, const Json& value, const std::string& path,
                        StrategyConfig& sc, std::vector<ConfigError>& errors) {
    if (std::find(sc.symbols.begin(), sc.symbols.end(), name) == sc.symbols.end()) {
        errors.push_back({path, "'" + name + "' is not one of this strategy's symbols"});
        return;
    }
    if (!value.is_object()) {
        errors.push_back({path, "expected an object of order fields"});
        return;
    }
    bool keys_ok = true;
    for (const auto& [key, _] : value.items()) {
        const auto known = [&key](std::string_view k) { return k == key; };
        if (std::any_of(std::begin(kAlertDefaultKeys), std::end(kAlertDefaultKeys), known))
            continue;
        keys_ok = false;
        errors.push_back(
            {path + "." + key,
             std::any_of(std::begin(kAlertPriceKeys), std::end(kAlertPriceKeys), known)
                 ? "is a price of one alert, not a default (defaults take order_type, "
                   "time_in_force, trail and exits as offsets, ticks or percent)"
                 : "unknown key"});
    }
    if (!keys_ok)
        return;
    std::string text = value.dump();
    AlertOrder order;
    AlertOrderParser parser;
    const AlertOrderProblem p = parser.read_fields(text, order);
    if (!p.ok())
        errors.push_back({path + "." + std::string(p.field), std::string(p.why)});
    else if ((order.take_profit.basis == ExitBasis::none) !=
             (order.stop_loss.basis == ExitBasis::none))
        errors.push_back({path, "a bracket has both exits: give a take_profit_* and a "
                                "stop_loss_* (or neither)"});
    else if (order.gave(AlertField::trail) && order.gave(AlertField::order_type) &&
             order.type != OrderType::trailing_stop)
        errors.push_back({path + ".trail", "is only for order_type trailing_stop"});
    else
        sc.alert_defaults.push_back({name, order});
}

StrategyConfig read_strategy(const Json& s, const std::string& path, std::set<std::string>& taken,
                             std::vector<ConfigError>& errors) {
    Reader r(errors, s, path);
    StrategyConfig sc;
    sc.type = r.string("type", true).value_or("");
    const bool sma = sc.type == "sma_cross";
    const bool orb = sc.type == "orb";
    const bool alerts = sc.type == "alert_follower";
    if (!sc.type.empty() && !sma && !orb && !alerts) {
        r.error("type",
                "unknown strategy '" + sc.type + "' (available: sma_cross, orb, alert_follower)");
    }
    read_strategy_symbols(r, alerts, sc.symbols);
    claim_symbols(r, sc.symbols, taken);
    sc.sizing = read_strategy_sizing(r, path, alerts, errors);
    sc.allow_short = r.boolean("allow_short", alerts).value_or(false);
    (void)r.get("account", false);  // an account's name, resolved once the accounts are read
    if (sma)
        read_sma_cross(r, sc);
    if (orb)
        read_orb(r, sc);
    if (alerts) {
        if (const Json* sizes = r.array("sizes", false))
            read_alert_sizes(*sizes, path, sc, errors);
        if (const Json* defaults = r.object("defaults", false)) {
            for (const auto& [name, value] : defaults->items())
                read_alert_default(name, value, path + ".defaults." + name, sc, errors);
        }
    }
    r.finish();
    return sc;
}

void read_strategies(const Json& list, Config& c, std::vector<ConfigError>& errors) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = "strategies[" + std::to_string(i) + "]";
        std::set<std::string> taken;
        if (expect_object(list[i], path, errors))
            c.strategies.push_back(read_strategy(list[i], path, taken, errors));
    }
}

// Every limit by its RiskLimit name (0 or absent = off): quantities, money and percentages as
// decimals, the rest as integers. The limits that have readable forms are read apart.
void read_risk_limits(Reader& r, RiskLimits& limits) {
    for (std::uint16_t v = 1; v < static_cast<std::uint16_t>(RiskLimit::restricted_symbol); ++v) {
        const auto id = static_cast<RiskLimit>(v);
        const std::string key(to_string(id));
        if (id == RiskLimit::trading_open_minute || id == RiskLimit::trading_close_minute ||
            id == RiskLimit::utc_offset_minutes || id == RiskLimit::trading_days_mask ||
            id == RiskLimit::pdt_effective_from_ns || id == RiskLimit::pdt_effective_to_ns)
            continue;  // read in their readable forms
        std::optional<std::int64_t> raw = risk_limit_is_fixed_point(id)
                                              ? r.decimal(key, false)
                                              : r.integer(key, false, 0, kMaxConfigInteger, 0);
        if (raw && r.get(key, false) != nullptr && !limits.set(id, *raw))
            r.error(key, "out of range");
    }
}

// "trading_hours": a session (read_trading_session) that new orders must fall in.
void read_trading_hours(const Json& hours, const std::filesystem::path& base_dir, Config& c,
                        std::vector<ConfigError>& errors) {
    const std::size_t before = errors.size();
    const TradingSession ts = read_trading_session(hours, "risk.trading_hours", base_dir, c, errors);
    if (errors.size() == before)
        c.risk.trading_hours = ts;
}

// "day_boundary": {"time": "17:00", "tz": "America/Chicago"} (or a utc_offset): the daily-loss
// day starts there every day, in that zone.
void read_day_boundary(const Json& body, const std::filesystem::path& base_dir, Config& c,
                       std::vector<ConfigError>& errors) {
    Reader r(errors, body, "risk.day_boundary");
    const std::size_t before = errors.size();
    TradingSession b{0, kSecondsPerDay, 0, kEveryDay, nullptr};
    if (auto time = r.string("time", true)) {
        if (auto t = parse_time_of_day(*time, false))
            b.open_s = *t;
        else
            r.error("time", "'" + *time + "' is not a time of day like 17:00 or 17:00:00");
    }
    Json resolved = read_session_zone(r, base_dir, ZoneKeys{false}, b);
    if (!resolved.is_null())
        c.resolved.emplace_back("risk.day_boundary", std::move(resolved));
    r.finish();
    if (errors.size() == before) {
        c.risk.day_boundary = b;
        c.risk.day_boundary_on = true;
    }
}

// The day-trade rule's dates, "2024-05-28" each; empty or absent leaves the limit off.
void read_pdt_dates(Reader& r, RiskLimits& limits) {
    for (const char* key : {"pdt_effective_from", "pdt_effective_to"}) {
        if (auto d = r.string(key, false, ""); d && !d->empty()) {
            const auto ns = parse_date_ns(*d);
            if (!ns)
                r.error(key, "'" + *d + "' is not a date like 2024-05-28");
            else
                (void)limits.set(std::string_view(key) == "pdt_effective_from"
                                     ? RiskLimit::pdt_effective_from_ns
                                     : RiskLimit::pdt_effective_to_ns,
                                 *ns);
        }
    }
}

// Risk: the limits by name, then the readable forms of trading hours and the day-trade
// rule's dates, then the restricted symbols (names).
void read_risk(const Json& risk, const std::filesystem::path& base_dir, Config& c,
               std::vector<ConfigError>& errors) {
    Reader r(errors, risk, "risk");
    read_risk_limits(r, c.risk);
    if (const Json* hours = r.object("trading_hours", false))
        read_trading_hours(*hours, base_dir, c, errors);
    if (const Json* boundary = r.object("day_boundary", false))
        read_day_boundary(*boundary, base_dir, c, errors);
    read_pdt_dates(r, c.risk);
    if (const Json* list = r.array("restricted_symbols", false))
        read_names(r, "restricted_symbols", *list, "expected a name", c.restricted_symbols);
    r.finish();
}

// The venue's own settings belong to the venue adapter, which validates them (the engine does
// not know adapters); here only its type is read. `path` names the section ("venue",
// "accounts[1].venue").
void read_venue(const Json& venue, const std::string& path, AccountConfig& a,
                std::vector<ConfigError>& errors) {
    a.venue_json = venue;
    const auto it = venue.find("type");
    if (it == venue.end() || !it->is_string()) {
        errors.push_back({path + ".type", "is required (a string)"});
        return;
    }
    a.venue_type = it->get<std::string>();
    if (a.venue_type != "sim" && a.venue_type != "fix" && a.venue_type != "alpaca")
        errors.push_back({path + ".type",
                          "unknown venue '" + a.venue_type + "' (available: sim, fix, alpaca)"});
}

// accounts: [{name, starting_cash, venue}], two to kMaxAccounts of them (one account needs no
// list: the `account` and `venue` sections are it). starting_cash defaults to the `account`
// section's.
void read_accounts(const Json& list, Config& c, std::vector<ConfigError>& errors) {
    if (list.size() < 2 || list.size() > kMaxAccounts) {
        errors.push_back({"accounts", "must list 2 to " + std::to_string(kMaxAccounts) +
                                          " accounts, got " + std::to_string(list.size()) +
                                          " (one account: use the account and venue sections)"});
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size() && i < kMaxAccounts; ++i) {
        const std::string path = "accounts[" + std::to_string(i) + "]";
        if (!expect_object(list[i], path, errors))
            continue;
        Reader r(errors, list[i], path);
        AccountConfig a;
        a.name = r.string("name", true).value_or("");
        if (r.get("name", false) != nullptr) {
            if (a.name.empty() || a.name.size() > 32 ||
                a.name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_-") != std::string::npos)
                r.error("name", "'" + shorten_quoted(a.name) +
                                    "' must be 1 to 32 letters, digits, '_' or '-'");
            else if (!names.insert(a.name).second)
                r.error("name", "'" + a.name + "' names two accounts");
        }
        a.starting_cash = c.starting_cash;
        if (auto cash = r.decimal("starting_cash", false)) {
            if (*cash < 0)
                r.error("starting_cash", "must not be negative");
            a.starting_cash = Money::from_raw(*cash);
        }
        if (const Json* venue = r.object("venue", true))
            read_venue(*venue, path + ".venue", a, errors);
        r.finish();
        c.accounts.push_back(std::move(a));
    }
}

// --- Several strategies per symbol (issue 18) ---
// Strategies that share a symbol trade one account: the account holds the symbol's one net
// position, which risk limits and the venue see, and each strategy's P&L is attributed from
// its own fills within it (README, Several strategies on one symbol).
void check_shared_symbols(const Config& c, std::vector<ConfigError>& errors) {
    std::map<std::string, std::size_t> first;  // symbol -> the first strategy trading it
    for (std::size_t i = 0; i < c.strategies.size(); ++i) {
        for (const std::string& name : c.strategies[i].symbols) {
            const auto [it, fresh] = first.emplace(name, i);
            if (fresh || c.strategies[it->second].account == c.strategies[i].account)
                continue;
            errors.push_back({"strategies[" + std::to_string(i) + "].account",
                              "trades '" + name + "' on another account than strategies[" +
                                  std::to_string(it->second) +
                                  "] (strategies on one symbol share one account)"});
        }
    }
}
// --- end of several strategies per symbol ---

// Each strategy's `account` (a name) as an index into c.accounts.
void resolve_strategy_accounts(const Json& list, Config& c, std::vector<ConfigError>& errors) {
    for (std::size_t i = 0; i < list.size() && i < c.strategies.size(); ++i) {
        const auto it = list[i].is_object() ? list[i].find("account") : list[i].end();
        if (!list[i].is_object() || it == list[i].end() || it->is_null())
            continue;
        const std::string path = "strategies[" + std::to_string(i) + "].account";
        if (!it->is_string()) {
            errors.push_back({path, std::string("expected an account's name, got ") +
                                        type_name(*it)});
            continue;
        }
        const std::string name = it->get<std::string>();
        std::vector<std::string> names;
        for (const AccountConfig& a : c.accounts)
            names.push_back(a.name);
        if (const std::optional<std::size_t> k = account_named(names, name))
            c.strategies[i].account = static_cast<std::uint8_t>(*k);
        else
            errors.push_back({path, "unknown account '" + shorten_quoted(name) + "' (accounts: " +
                                        account_list(names) + ")"});
    }
}

void read_rings(const Json& rings, ThreadPlan& plan, std::vector<ConfigError>& errors) {
    Reader r(errors, rings, "rings");
    const auto cap = r.integer("capacity", false, 2, 1 << 20, 4096);
    if (cap && (*cap & (*cap - 1)) != 0)
        r.error("capacity", "must be a power of two");
    plan.ring_capacity = static_cast<std::size_t>(cap.value_or(4096));
    r.finish();
}

void read_journal(const Json& j, journal::WriterOptions& out, std::vector<ConfigError>& errors) {
    Reader r(errors, j, "journal");
    const std::string mode = r.string("durability", false, "os").value_or("os");
    if (!journal::parse_durability(mode, out.durability))
        r.error("durability", "'" + mode + "' is not one of os, group, sync");
    out.segment_bytes = bounded<std::uint64_t>(r, "segment_mb", 1, 4096, 16) << 20;
    out.group_interval_us = bounded<std::uint64_t>(r, "group_interval_us", 1, 10'000'000, 1000);
    out.group_records = bounded<std::uint64_t>(r, "group_records", 1, 1'000'000, 256);
    r.finish();
}

// A thread's "stages": the next stages of the pipeline, in order. next_stage counts the stages
// the threads read so far have taken. Returns the names, comma-separated, of those it got right.
std::string read_stages(Reader& r, const Json& stages, std::size_t& next_stage) {
    if (stages.empty())
        r.error("stages", "needs at least one stage");
    std::string stage_list;
    for (std::size_t k = 0; k < stages.size(); ++k) {
        const Json& st = stages[k];
        const std::string name = st.is_string() ? st.get<std::string>() : "";
        if (next_stage >= kStageCount || name != kStageNames[next_stage]) {
            const std::string expected =
                next_stage < kStageCount ? kStageNames[next_stage] : "(no more stages)";
            r.error("stages[" + std::to_string(k) + "]",
                    "expected '" + expected + "', got " +
                        (st.is_string() ? "'" + name + "'" : type_name(st)) +
                        " (threads list the stages ingest, strategy, risk, gateway in order, "
                        "each once)");
        } else {
            if (!stage_list.empty())
                stage_list += ',';
            stage_list += name;
        }
        ++next_stage;
    }
    return stage_list;
}

// The optional "cpu": an index this process may run on (cpus), checked now so that a plan
// written for another machine is refused before any thread starts.
std::optional<int> read_cpu(Reader& r, const std::vector<int>& cpus) {
    const Json* cpu = r.get("cpu", false);
    if (cpu == nullptr)
        return std::nullopt;
    if (!cpu->is_number_integer()) {
        r.wrong_type("cpu", "an integer CPU index", *cpu);
        return std::nullopt;
    }
    const auto n = cpu->get<std::int64_t>();
    if (std::find(cpus.begin(), cpus.end(), n) == cpus.end()) {
        r.error("cpu", "CPU " + std::to_string(n) +
                           " does not exist or is not available to this process (available: " +
                           describe_cpus(cpus) + ")");
        return std::nullopt;
    }
    return static_cast<int>(n);
}

void read_thread(const Json& t, const std::string& path, const std::vector<int>& cpus,
                 std::size_t& next_stage, Config& c, std::vector<ConfigError>& errors) {
    Reader r(errors, t, path);
    ThreadSpec spec;
    spec.name = r.string("name", true).value_or("");
    std::string stage_list;
    if (const Json* stages = r.array("stages", true)) {
        spec.first_stage = next_stage;
        stage_list = read_stages(r, *stages, next_stage);
        spec.last_stage = next_stage == 0 ? 0 : next_stage - 1;
    }
    spec.cpu = read_cpu(r, cpus);
    const std::string idle = r.string("idle", false, "backoff").value_or("backoff");
    if (auto kind = parse_idle_kind(idle))
        spec.idle = *kind;
    else
        r.error("idle", "'" + idle + "' is not one of busy_spin, yield, backoff, park");
    r.finish();
    c.plan.threads.push_back(std::move(spec));
    c.thread_stage_names.push_back(stage_list);
}

// The thread plan: together the threads run every stage, each once and in order.
void read_threads(const Json& threads, Config& c, std::vector<ConfigError>& errors) {
    const std::vector<int> cpus = available_cpus();
    std::size_t next_stage = 0;
    if (threads.empty())
        errors.push_back({"threads", "needs at least one thread"});
    for (std::size_t i = 0; i < threads.size(); ++i) {
        const std::string path = "threads[" + std::to_string(i) + "]";
        if (expect_object(threads[i], path, errors))
            read_thread(threads[i], path, cpus, next_stage, c, errors);
    }
    if (!threads.empty() && next_stage < kStageCount) {
        errors.push_back({"threads", "stage '" + std::string(kStageNames[next_stage]) +
                                         "' is not assigned to any thread"});
    }
}

// The sections in the order their problems are listed. Some depend on earlier ones: data is
// optional once a live section is present, and a symbol names a session read before it.
// Unknown top-level keys come last, from top.finish().
void validate(const Json& root, const std::filesystem::path& base_dir, Config& c,
              std::vector<ConfigError>& errors) {
    if (!expect_object(root, "(root)", errors))
        return;
    Reader top(errors, root, "");

    if (const Json* s = top.object("session", true))
        read_session(*s, c, errors);

    // A live session (a market-data feed or a webhook receiver) needs no data files. The live
    // sections belong to the adapters, which validate them (the engine does not know adapters).
    if (const Json* feed = top.object("feed", false))
        c.feed_json = *feed;
    if (const Json* webhook = top.object("webhook", false))
        c.webhook_json = *webhook;
    if (const Json* control = top.object("control", false))
        c.control_json = *control;
    if (const Json* live_section = top.object("live", false))
        c.live_json = *live_section;
    if (const Json* notify = top.array("notify", false))
        c.notify_json = *notify;
    const bool live = !c.feed_json.is_null() || !c.webhook_json.is_null();
    if (const Json* d = top.object("data", !live))
        read_data(*d, base_dir, c, errors);

    c.starting_cash = Money::from_units(kDefaultStartingCashUnits);
    if (const Json* a = top.object("account", false))
        read_account(*a, c, errors);

    if (const Json* sessions = top.object("sessions", false))
        read_sessions(*sessions, base_dir, c, errors);
    if (const Json* symbols = top.object("symbols", false))
        read_symbols(*symbols, c, errors);

    const Json* strategy_list = top.array("strategies", true);
    if (strategy_list != nullptr)
        read_strategies(*strategy_list, c, errors);

    if (const Json* risk = top.object("risk", true))
        read_risk(*risk, base_dir, c, errors);
    // With `accounts`, each account names its venue; without, the `venue` section is account 0.
    const Json* accounts = top.array("accounts", false);
    if (accounts != nullptr) {
        read_accounts(*accounts, c, errors);
        if (root.contains("venue"))
            errors.push_back({"venue", "a config with accounts gives each account its venue "
                                       "(accounts[k].venue), not a venue section"});
        (void)top.get("venue", false);
    } else {
        AccountConfig a;
        a.name = "main";
        a.starting_cash = c.starting_cash;
        if (const Json* venue = top.object("venue", true))
            read_venue(*venue, "venue", a, errors);
        c.accounts.push_back(std::move(a));
    }
    if (!c.accounts.empty()) {
        c.venue_json = c.accounts.front().venue_json;
        c.venue_type = c.accounts.front().venue_type;
    }
    if (strategy_list != nullptr)
        resolve_strategy_accounts(*strategy_list, c, errors);
    check_shared_symbols(c, errors);
    if (const Json* rings = top.object("rings", false))
        read_rings(*rings, c.plan, errors);
    if (const Json* j = top.object("journal", false))
        read_journal(*j, c.journal, errors);
    if (const Json* m = top.object("memory", false))
        read_memory(*m, c.memory, errors);
    if (const Json* s = top.object("shutdown", false))
        read_shutdown(*s, live, c.shutdown, errors);
    if (const Json* m = top.object("metrics", false))
        read_metrics(*m, c.metrics, errors);

    // Absent: one thread runs every stage (what a backtest runs anyway, whatever it says).
    if (!root.contains("threads")) {
        c.plan.threads.push_back({"main", 0, kStageCount - 1, std::nullopt, IdleKind::backoff});
        c.thread_stage_names.push_back("ingest,strategy,risk,gateway");
    }
    if (const Json* threads = top.array("threads", false))
        read_threads(*threads, c, errors);
    top.finish();
}

}  // namespace

std::optional<std::size_t> account_named(const std::vector<std::string>& names,
                                         std::string_view name) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        return std::nullopt;
    return static_cast<std::size_t>(it - names.begin());
}

std::string account_list(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t k = 0; k < names.size(); ++k)
        out += (k ? ", " : "") + names[k];
    return out;
}

// The object a resolved block belongs in: "sessions.NAME" (a name may hold dots),
// "risk.trading_hours" or "risk.day_boundary".
static Json& resolved_target(Json& root, const std::string& path) {
    if (path.rfind("sessions.", 0) == 0)
        return root["sessions"][path.substr(9)];
    return root["risk"][path.substr(5)];
}

ConfigResult parse_config(std::string_view text, const std::string& origin,
                          const std::filesystem::path& base_dir,
                          const std::vector<std::string>& env,
                          const std::vector<ConfigOverride>& overrides) {
    ConfigResult result;
    Json root;
    // Strict: a repeated key, nesting past 64 levels or a string past 64 KiB is an error
    // naming where (strict_json.hpp), never "the last one wins".
    if (StrictJsonError e; !parse_strict_json(text, root, e)) {
        result.errors.push_back(
            {e.path.empty() ? origin : shown_value(e.path), shorten_quoted(e.message)});
        return result;
    }
    apply_env(root, env, result.errors);
    const auto applied = apply_overrides(root, overrides, result.errors);
    const std::size_t before = result.errors.size();
    validate(root, base_dir, result.config, result.errors);
    // A problem with a value set on the command line names the option that set it.
    for (std::size_t i = before; i < result.errors.size(); ++i) {
        ConfigError& e = result.errors[i];
        for (const auto& [path, note] : applied) {
            const bool inside = e.path.size() > path.size() && e.path.rfind(path, 0) == 0 &&
                                (e.path[path.size()] == '.' || e.path[path.size()] == '[');
            if (e.path == path || inside) {
                e.message += " (set by " + note + ")";
                break;
            }
        }
    }
    // Values echoed in messages are cut to a readable length (a 100 KB value is not shown).
    for (ConfigError& e : result.errors) {
        e.message = shorten_quoted(e.message);
        e.path = shown_value(e.path);
    }
    // The zones and calendars as resolved now, so that replays and restarts read them from the
    // journaled config, not from the tz database or the calendar files (session_zone.hpp).
    for (auto& [path, block] : result.config.resolved)
        resolved_target(root, path)["resolved"] = std::move(block);
    result.config.resolved.clear();
    result.config.effective = root;
    return result;
}

ConfigResult parse_config(std::string_view text, const std::string& origin,
                          const std::filesystem::path& base_dir,
                          const std::vector<std::string>& env) {
    return parse_config(text, origin, base_dir, env, {});
}

std::optional<ConfigOverride> parse_override(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return std::nullopt;
    return ConfigOverride{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), {}};
}

ConfigResult load_config(const std::filesystem::path& file, const std::vector<std::string>& env) {
    return load_config(file, env, {});
}

ConfigResult load_config(const std::filesystem::path& file, const std::vector<std::string>& env,
                         const std::vector<ConfigOverride>& overrides) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        ConfigResult result;
        result.errors.push_back({file.string(), "cannot open config file"});
        return result;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), file.string(), file.parent_path(), env, overrides);
}

const SymbolConfig* find_symbol(const Config& config, std::string_view name) {
    for (const SymbolConfig& s : config.symbols) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

TradingSession session_for(const Config& config, std::string_view symbol) {
    const SymbolConfig* s = find_symbol(config, symbol);
    if (s != nullptr && !s->session.empty()) {
        const auto it = config.sessions.find(s->session);
        if (it != config.sessions.end())
            return it->second;
    }
    return TradingSession::all_day(0, kEveryDay);
}

std::uint64_t fnv1a64(std::string_view text) noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::vector<std::string> process_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
        env.emplace_back(*e);
    return env;
}

}  // namespace keel::engine
