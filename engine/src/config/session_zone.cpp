#include "keel/engine/config/session_zone.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "keel/engine/config/strict_json.hpp"

namespace keel::engine {
namespace {

constexpr std::int64_t kNoDay = INT64_MIN;

bool two_digits(const std::string& s, std::size_t at, int& out) {
    if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
        !std::isdigit(static_cast<unsigned char>(s[at + 1])))
        return false;
    out = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return true;
}

// "YYYY-MM-DD" -> days since 1970-01-01; nullopt unless a real date.
std::optional<std::int64_t> parse_day(const std::string& s) {
    int y = 0;
    int m = 0;
    int d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !two_digits(s, 5, m) ||
        !two_digits(s, 8, d) ||
        !std::all_of(s.begin(), s.begin() + 4, [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
    y = std::stoi(s.substr(0, 4));
    const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                   date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok())
        return std::nullopt;
    return date::sys_days(ymd).time_since_epoch().count();
}

std::string format_day(std::int64_t day) {
    return date::format("%F", date::sys_days(date::days(day)));
}

std::string format_utc(std::int64_t utc_s) {
    return date::format("%FT%TZ", date::sys_seconds(std::chrono::seconds(utc_s)));
}

std::optional<std::int64_t> parse_utc(const std::string& s) {
    int hh = 0;
    int mm = 0;
    int ss = 0;
    if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
        !two_digits(s, 11, hh) || !two_digits(s, 14, mm) || !two_digits(s, 17, ss) || hh > 23 ||
        mm > 59 || ss > 59)
        return std::nullopt;
    const auto day = parse_day(s.substr(0, 10));
    if (!day)
        return std::nullopt;
    return *day * 86'400 + hh * 3600 + mm * 60 + ss;
}

std::string format_time(std::int32_t s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

std::string format_offset(std::int32_t s) {
    const std::int32_t a = s < 0 ? -s : s;
    std::string t = format_time(a);
    if (a % 60 == 0)
        t.resize(5);
    return (s < 0 ? "-" : "+") + t;
}

// "+HH:MM" or "-HH:MM:SS" -> seconds, within +-18 hours.
std::optional<std::int32_t> parse_offset(const std::string& s) {
    if (s.empty() || (s[0] != '+' && s[0] != '-'))
        return std::nullopt;
    const auto t = parse_time_of_day(s.substr(1), false);
    if (!t || *t > kMaxUtcOffsetS)
        return std::nullopt;
    return s[0] == '-' ? -*t : *t;
}

}  // namespace

bool is_time_zone(const std::string& name) {
    try {
        return date::locate_zone(name) != nullptr;
    } catch (const std::exception&) {
        return false;
    }
}

namespace {

// The zone's offsets over kZoneFirstYear..kZoneEndYear from the tz database; an error message
// when the zone is unknown or changes too often for the table.
std::optional<std::string> zone_from_tzdb(const std::string& name, SessionRules& rules) {
    const date::time_zone* zone = nullptr;
    try {
        zone = date::locate_zone(name);
    } catch (const std::exception&) {
        return "'" + name + "' is not a time zone in the tz database (e.g. America/New_York)";
    }
    using namespace date;
    sys_seconds t = sys_days(year{kZoneFirstYear} / January / 1);
    const sys_seconds end = sys_days(year{kZoneEndYear} / January / 1);
    sys_info info = zone->get_info(t);
    rules.initial_offset_s = static_cast<std::int32_t>(info.offset.count());
    std::int32_t last = rules.initial_offset_s;
    // Each step moves to the next tzdata period, so the loop ends at `end`; the count bounds it.
    while (info.end < end) {
        t = info.end;
        info = zone->get_info(t);
        const auto offset = static_cast<std::int32_t>(info.offset.count());
        if (offset == last)
            continue;  // an abbreviation or DST flag changed, not the offset
        if (rules.change_count == kMaxOffsetChanges)
            return "'" + name + "' changes its UTC offset more than " +
                   std::to_string(kMaxOffsetChanges) + " times in " +
                   std::to_string(kZoneFirstYear) + "-" + std::to_string(kZoneEndYear - 1);
        rules.changes[rules.change_count++] = {t.time_since_epoch().count(), offset};
        last = offset;
    }
    return std::nullopt;
}

// One calendar entry; false (and an error for `where`) when it does not fit.
bool add_day(SessionRules& rules, std::int64_t day, std::int32_t close_s, const std::string& where,
             std::vector<std::string>& problems) {
    for (std::uint32_t i = 0; i < rules.day_count; ++i) {
        if (rules.days[i].day == day) {
            problems.push_back(where + ": " + format_day(day) + " is listed twice");
            return false;
        }
    }
    if (rules.day_count == kMaxCalendarDays) {
        problems.push_back(where + ": more than " + std::to_string(kMaxCalendarDays) + " days");
        return false;
    }
    rules.days[rules.day_count++] = {day, close_s};
    return true;
}

void sort_days(SessionRules& rules) {
    std::sort(rules.days.begin(), rules.days.begin() + rules.day_count,
              [](const CalendarDay& a, const CalendarDay& b) { return a.day < b.day; });
}

// An early close must shorten the session: after its open, before its regular close.
void check_early_close(std::int32_t close_s, const TradingSession& s, const std::string& where,
                       std::vector<std::string>& problems) {
    if (close_s <= s.open_s || close_s >= s.close_s)
        problems.push_back(where + ": " + format_time(close_s) +
                           " is not between the session's open " + format_time(s.open_s) +
                           " and close " + format_time(s.close_s));
}

struct CalendarRead {
    const TradingSession& session;
    SessionRules& rules;
    std::vector<std::string> problems;  // "closed[2].date: ..." (the caller adds the file)
};

void read_calendar_list(const Json& root, const char* key, bool early,
                        std::pair<std::int64_t, std::int64_t> range, CalendarRead& c) {
    const auto it = root.find(key);
    if (it == root.end())
        return;
    if (!it->is_array()) {
        c.problems.push_back(std::string(key) + ": expected an array");
        return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
        const Json& e = (*it)[i];
        const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
        std::vector<ConfigError> errors;
        ConfigReader r(errors, e, at);
        if (!e.is_object()) {
            c.problems.push_back(at + ": expected an object");
            continue;
        }
        const auto date_text = r.string("date", true);
        (void)r.string("name", false);
        std::optional<std::string> close_text;
        if (early)
            close_text = r.string("close", true);
        r.finish();
        for (const ConfigError& err : errors)
            c.problems.push_back(err.path + ": " + err.message);
        // Plain values, not optionals: g++ 12 warns about optionals it cannot follow here.
        const std::int64_t day = date_text ? parse_day(*date_text).value_or(kNoDay) : kNoDay;
        if (date_text && day == kNoDay)
            c.problems.push_back(at + ".date: '" + *date_text + "' is not a date like 2026-01-01");
        else if (day != kNoDay && (day < range.first || day > range.second))
            c.problems.push_back(at + ".date: " + *date_text + " is outside from..to");
        std::int32_t close_s = kClosedDay;
        if (close_text) {
            const auto t = parse_time_of_day(*close_text, false);
            if (!t)
                c.problems.push_back(at + ".close: '" + *close_text +
                                     "' is not a time of day like 13:00");
            else
                check_early_close(*t, c.session, at + ".close", c.problems);
            close_s = t.value_or(kClosedDay);
        }
        if (day != kNoDay && errors.empty() && (!early || close_s != kClosedDay))
            (void)add_day(c.rules, day, close_s, at + ".date", c.problems);
    }
}

// Reads a calendar file into rules.days; each problem as "KEY: what" (the caller names the
// file).
std::vector<std::string> read_calendar_file(const std::filesystem::path& path,
                                            const TradingSession& s, SessionRules& rules) {
    CalendarRead c{s, rules, {}};
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        c.problems.push_back("cannot be read");
        return c.problems;
    }
    std::stringstream text;
    text << in.rdbuf();
    Json root;
    if (StrictJsonError e; !parse_strict_json(text.str(), root, e)) {
        c.problems.push_back((e.path.empty() ? "" : e.path + ": ") + e.message);
        return c.problems;
    }
    if (!root.is_object()) {
        c.problems.push_back("expected a JSON object");
        return c.problems;
    }
    std::vector<ConfigError> errors;
    ConfigReader r(errors, root, "");
    (void)r.string("name", false);
    (void)r.string("source", false);
    const auto from_text = r.string("from", true);
    const auto to_text = r.string("to", true);
    (void)r.get("closed", false);
    (void)r.get("early_closes", false);
    r.finish();
    for (const ConfigError& err : errors)
        c.problems.push_back(err.path + ": " + err.message);
    const std::int64_t from = from_text ? parse_day(*from_text).value_or(kNoDay) : kNoDay;
    const std::int64_t to = to_text ? parse_day(*to_text).value_or(kNoDay) : kNoDay;
    if (from_text && from == kNoDay)
        c.problems.push_back("from: '" + *from_text + "' is not a date like 2026-01-01");
    if (to_text && to == kNoDay)
        c.problems.push_back("to: '" + *to_text + "' is not a date like 2027-12-31");
    if (from == kNoDay || to == kNoDay)
        return c.problems;
    if (to < from) {
        c.problems.push_back("to: before from");
        return c.problems;
    }
    read_calendar_list(root, "closed", false, {from, to}, c);
    read_calendar_list(root, "early_closes", true, {from, to}, c);
    sort_days(rules);
    return c.problems;
}

// --- the journaled block ---

Json resolved_block(const std::string& tz, const std::string& calendar, const SessionRules& r) {
    Json out = Json::object();
    if (!tz.empty()) {
        out["tz"] = tz;
        out["tzdb_version"] = tz_database_version();
        out["initial_offset"] = format_offset(r.initial_offset_s);
        Json changes = Json::array();
        for (std::uint32_t i = 0; i < r.change_count; ++i)
            changes.push_back(format_utc(r.changes[i].utc_s) + " " +
                              format_offset(r.changes[i].offset_s));
        out["offset_changes"] = std::move(changes);
    }
    if (!calendar.empty()) {
        out["calendar"] = calendar;
        Json closed = Json::array();
        Json early = Json::array();
        for (std::uint32_t i = 0; i < r.day_count; ++i) {
            const CalendarDay& d = r.days[i];
            if (d.close_s == kClosedDay)
                closed.push_back(format_day(d.day));
            else
                early.push_back(format_day(d.day) + " " + format_time(d.close_s));
        }
        out["closed"] = std::move(closed);
        out["early_closes"] = std::move(early);
    }
    return out;
}

// "2026-03-08T07:00:00Z -04:00" / "2026-11-27 13:00:00": two fields split at the space.
std::pair<std::string, std::string> split2(const std::string& s) {
    const auto sp = s.find(' ');
    if (sp == std::string::npos)
        return {s, ""};
    return {s.substr(0, sp), s.substr(sp + 1)};
}

void read_resolved_offsets(ConfigReader& r, SessionRules& rules) {
    if (const auto init = r.string("initial_offset", true)) {
        if (const auto o = parse_offset(*init))
            rules.initial_offset_s = *o;
        else
            r.error("initial_offset", "'" + *init + "' is not an offset like -05:00");
    }
    (void)r.string("tzdb_version", true);
    const Json* changes = r.array("offset_changes", true);
    for (std::size_t i = 0; changes != nullptr && i < changes->size(); ++i) {
        const Json& c = (*changes)[i];
        const auto [when, off] = split2(c.is_string() ? c.get<std::string>() : "");
        const auto t = parse_utc(when);
        const auto o = parse_offset(off);
        const bool ordered = rules.change_count == 0 || (t && *t > rules.changes[rules.change_count - 1].utc_s);
        if (!t || !o || !ordered || rules.change_count == kMaxOffsetChanges) {
            r.error("offset_changes[" + std::to_string(i) + "]",
                    "expected \"YYYY-MM-DDTHH:MM:SSZ +HH:MM\" after the previous change");
            continue;
        }
        rules.changes[rules.change_count++] = {*t, *o};
    }
}

void read_resolved_days(ConfigReader& r, const TradingSession& s, SessionRules& rules) {
    std::vector<std::string> problems;
    for (const char* key : {"closed", "early_closes"}) {
        const bool early = std::string_view(key) == "early_closes";
        const Json* list = r.array(key, true);
        for (std::size_t i = 0; list != nullptr && i < list->size(); ++i) {
            const Json& e = (*list)[i];
            const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
            const auto [date_text, time_text] = split2(e.is_string() ? e.get<std::string>() : "");
            const auto day = parse_day(date_text);
            const auto t = early ? parse_time_of_day(time_text, false) : std::optional<std::int32_t>(kClosedDay);
            if (!day || !t || (!early && !time_text.empty())) {
                r.error(where, early ? "expected \"YYYY-MM-DD HH:MM:SS\"" : "expected \"YYYY-MM-DD\"");
                continue;
            }
            if (early)
                check_early_close(*t, s, where, problems);
            (void)add_day(rules, *day, *t, where, problems);
        }
    }
    for (const std::string& p : problems)
        r.error(p.substr(0, p.find(':')), p.substr(p.find(':') + 2));
    sort_days(rules);
}

// Builds rules from a journaled `resolved` block, checking it names the same zone and
// calendar as the object's keys (a changed tz with a stale block is refused, not mixed).
void read_resolved(ConfigReader& outer, const Json& block, const std::string& tz,
                   const std::string& calendar, const TradingSession& s, SessionRules& rules,
                   std::vector<ConfigError>& errors) {
    ConfigReader r(errors, block, outer.at("resolved"));
    const std::string block_tz = r.string("tz", false).value_or("");
    const std::string block_calendar = r.string("calendar", false).value_or("");
    if (block_tz != tz || block_calendar != calendar) {
        outer.error("resolved", "names tz '" + block_tz + "' and calendar '" + block_calendar +
                                    "', not this object's: remove it to resolve them anew");
        return;
    }
    if (!tz.empty())
        read_resolved_offsets(r, rules);
    if (!calendar.empty())
        read_resolved_days(r, s, rules);
    r.finish();
}

}  // namespace

std::optional<std::int32_t> parse_time_of_day(const std::string& s, bool allow_24) {
    int h = 0;
    int m = 0;
    int sec = 0;
    if ((s.size() != 5 && s.size() != 8) || s[2] != ':' || !two_digits(s, 0, h) ||
        !two_digits(s, 3, m) || (s.size() == 8 && (s[5] != ':' || !two_digits(s, 6, sec))))
        return std::nullopt;
    if (m > 59 || sec > 59 || h > 24 || (h == 24 && (m != 0 || sec != 0 || !allow_24)))
        return std::nullopt;
    return h * 3600 + m * 60 + sec;
}

std::string tz_database_version() {
    try {
        return date::get_tzdb().version;
    } catch (const std::exception&) {
        return "unknown";
    }
}

const SessionRules* keep_session_rules(const SessionRules& rules) {
    static std::mutex mutex;
    static std::deque<std::unique_ptr<const SessionRules>> kept;
    auto same = [&](const SessionRules& k) {
        return k.initial_offset_s == rules.initial_offset_s &&
               k.change_count == rules.change_count && k.day_count == rules.day_count &&
               std::equal(k.changes.begin(), k.changes.begin() + k.change_count,
                          rules.changes.begin(),
                          [](const OffsetChange& a, const OffsetChange& b) {
                              return a.utc_s == b.utc_s && a.offset_s == b.offset_s;
                          }) &&
               std::equal(k.days.begin(), k.days.begin() + k.day_count, rules.days.begin(),
                          [](const CalendarDay& a, const CalendarDay& b) {
                              return a.day == b.day && a.close_s == b.close_s;
                          });
    };
    const std::lock_guard lock(mutex);
    for (const auto& k : kept) {
        if (same(*k))
            return k.get();
    }
    kept.push_back(std::make_unique<const SessionRules>(rules));
    return kept.back().get();
}

Json read_session_zone(ConfigReader& r, const std::filesystem::path& base_dir, ZoneKeys keys,
                       TradingSession& s) {
    const std::string tz = r.string("tz", false).value_or("");
    const Json* offset_value = r.get("utc_offset", false);
    const std::string calendar = keys.calendar ? r.string("calendar", false).value_or("") : "";
    if (!tz.empty() && offset_value != nullptr) {
        r.error("utc_offset", "give either tz or utc_offset, not both");
        return nullptr;
    }
    if (offset_value != nullptr) {
        const auto text = r.string("utc_offset", false);
        const auto o = text ? parse_offset(*text) : std::nullopt;
        if (text && (!o || *o % 60 != 0))
            r.error("utc_offset", "'" + *text + "' is not an offset like -05:00 within +-18 hours");
        s.utc_offset_minutes = o.value_or(0) / 60;
    }
    if (tz.empty() && calendar.empty())
        return nullptr;
    auto rules = std::make_unique<SessionRules>();
    rules->initial_offset_s = s.utc_offset_minutes * 60;
    std::vector<ConfigError> errors;
    if (const Json* block = r.object("resolved", false)) {
        read_resolved(r, *block, tz, calendar, s, *rules, errors);
        for (ConfigError& e : errors)
            r.error(e.path.substr(r.at("").size()), e.message);
        if (errors.empty())
            s.rules = keep_session_rules(*rules);
        return nullptr;
    }
    bool ok = true;
    if (!tz.empty()) {
        if (const auto problem = zone_from_tzdb(tz, *rules)) {
            r.error("tz", *problem);
            ok = false;
        }
    }
    if (!calendar.empty()) {
        const std::filesystem::path p = std::filesystem::path(calendar).is_absolute()
                                            ? std::filesystem::path(calendar)
                                            : base_dir / calendar;
        for (const std::string& problem : read_calendar_file(p, s, *rules)) {
            r.error("calendar", p.string() + ": " + problem);
            ok = false;
        }
    }
    if (!ok)
        return nullptr;
    s.rules = keep_session_rules(*rules);
    return resolved_block(tz, calendar, *rules);
}

}  // namespace keel::engine
