// Session zones and calendars at start-up: reads a session-like config object's time of day
// keys (`open`/`close` as HH:MM[:SS]), its zone (`tz`, an IANA name read from the system tz
// database through Howard Hinnant's date/tz, or a fixed `utc_offset`, not both) and its
// `calendar` file (closed days and early closes), and builds the SessionRules the engine reads
// (core/session_rules.hpp). Runs on the thread that loads the config; never on a hot path.
//
// What the tz database and the calendar file said is returned as a `resolved` block that
// parse_config writes into the effective configuration, which session_start journals. A config
// that already carries `resolved` (a journal's, read by replay and restart) is built from it
// alone: neither the tz database nor the calendar file is read, so editing or deleting them,
// or a tzdata upgrade, cannot change a replay.
//
// The calendar file (config/README.md): a JSON object with
//   "name", "source" (strings, for people), "from", "to" ("YYYY-MM-DD": the dates it covers),
//   "closed": [{"date": "YYYY-MM-DD", "name": "..."}],
//   "early_closes": [{"date": "YYYY-MM-DD", "close": "HH:MM[:SS]", "name": "..."}]
// and nothing else; every date within [from, to], each date at most once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "keel/engine/config/config_reader.hpp"
#include "keel/engine/core/session_rules.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

// "09:30" or "09:30:15" -> seconds after midnight; "24:00[:00]" only when allow_24.
[[nodiscard]] std::optional<std::int32_t> parse_time_of_day(const std::string& s, bool allow_24);

// Which keys the object has besides tz / utc_offset / resolved.
struct ZoneKeys {
    bool calendar = false;  // sessions and trading hours may name a calendar file
};

// Reads `tz`, `utc_offset`, `calendar` (when keys.calendar) and `resolved` of r's object into
// s.utc_offset_minutes and s.rules. Early closes are checked against s.open_s and s.close_s,
// so read those first. Returns the block to journal as the object's `resolved` (null when
// the object needs none, or already carries one).
Json read_session_zone(ConfigReader& r, const std::filesystem::path& base_dir, ZoneKeys keys,
                       TradingSession& s);

// Whether the tz database knows the zone (a data file's `tz`, read by the CSV adapter).
[[nodiscard]] bool is_time_zone(const std::string& name);

// The tz database's version ("2024a"), or "unknown" when it cannot be read.
[[nodiscard]] std::string tz_database_version();

// Keeps rules for the rest of the process and returns them (equal rules share one copy), so
// that every TradingSession copy may point at them.
[[nodiscard]] const SessionRules* keep_session_rules(const SessionRules& rules);

}  // namespace keel::engine
