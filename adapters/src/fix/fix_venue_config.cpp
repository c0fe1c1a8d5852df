#include "keel/adapters/fix/fix_venue_config.hpp"

#include "keel/engine/config/config_reader.hpp"

namespace keel::adapters::fix {
namespace {

// HH:MM:SS, as QuickFIX's StartTime and EndTime take it.
bool is_time_of_day(const std::string& t) {
    if (t.size() != 8 || t[2] != ':' || t[5] != ':')
        return false;
    for (const std::size_t i : {0u, 1u, 3u, 4u, 6u, 7u}) {
        if (t[i] < '0' || t[i] > '9')
            return false;
    }
    return (t[0] - '0') * 10 + (t[1] - '0') < 24 && t[3] < '6' && t[6] < '6';
}

}  // namespace

FixVenueConfig fix_venue_config_from_json(const engine::Json& venue,
                                          std::vector<engine::ConfigError>& errors,
                                          const std::string& path) {
    FixVenueConfig c;
    if (!venue.is_object())
        return c;
    engine::ConfigReader r(errors, venue, path);
    (void)r.string("type", true);
    (void)r.get("threaded", false);  // venue_threading_from_json's keys
    (void)r.get("idle", false);
    (void)r.get("drain_ms", false);
    FixSessionSettings& s = c.session;
    s.host = r.string("host", false, "127.0.0.1").value_or(s.host);
    s.port = static_cast<int>(r.integer("port", true, 1, 65535).value_or(0));
    s.sender_comp_id = r.string("sender_comp_id", true).value_or("");
    s.target_comp_id = r.string("target_comp_id", true).value_or("");
    s.heartbeat_s = static_cast<int>(r.integer("heartbeat_s", false, 1, 3600, 30).value_or(30));
    s.reconnect_s = static_cast<int>(r.integer("reconnect_s", false, 1, 3600, 5).value_or(5));
    for (const char* key : {"start_time", "end_time"}) {
        const std::string t = r.string(key, false, "00:00:00").value_or("00:00:00");
        if (!is_time_of_day(t))
            r.error(key, "'" + t + "': expected HH:MM:SS (UTC)");
        (std::string(key) == "start_time" ? s.start_time : s.end_time) = t;
    }
    c.max_resend_age_ms = r.integer("max_resend_age_ms", false, 0, 86'400'000, 5000).value_or(5000);
    c.status_retry_ms = r.integer("status_retry_ms", false, 100, 600'000, 5000).value_or(5000);
    if (const engine::Json* rec = r.object("reconcile", false)) {
        engine::ConfigReader rr(errors, *rec, path + ".reconcile");
        c.mass_status = rr.boolean("mass_status", false).value_or(false);
        c.adopt_unknown = rr.boolean("adopt_unknown", false).value_or(false);
        if (c.adopt_unknown && !c.mass_status)
            rr.error("adopt_unknown", "needs mass_status: only the mass status answer lists "
                                      "orders keel never sent");
        rr.finish();
    }
    s.username = r.secret("username", false).value_or("");
    s.password = r.secret("password", false).value_or("");
    for (const auto& [key, text] : {std::pair{"sender_comp_id", s.sender_comp_id},
                                    std::pair{"target_comp_id", s.target_comp_id}}) {
        if (text.find_first_of(" \x01=") != std::string::npos)
            r.error(key, "must not contain spaces, '=' or SOH");
    }
    r.finish();
    return c;
}

}  // namespace keel::adapters::fix
