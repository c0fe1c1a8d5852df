// The local Alpaca server's own JSON: a small writer for its answers and events (numbers as
// exact decimal strings from fixed point, never a double), RFC 3339 timestamps and UUIDs, and
// the readers of what clients send (a request body's scalar fields; a stream message), parsed
// with simdjson On-Demand. Private to adapters/src/alpaca/ (alpaca_test_server.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/adapters/sim_venue/split_mix64.hpp"
// wall_clock_ns(): the server is a counterparty, not a stage, so it stamps with real time.
#include "keel/adapters/venue/venue_reply.hpp"

namespace keel::adapters::alpaca {

// Builds one JSON text; the caller keeps keys and values paired (the writer only places
// commas). A bound on nesting is not needed: every shape it writes is fixed in code.
class JsonWriter {
  public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    JsonWriter& string(std::string_view v);
    JsonWriter& raw(std::string_view json);  // a literal: a number, true, false, null
    JsonWriter& null() { return raw("null"); }
    JsonWriter& boolean(bool v) { return raw(v ? "true" : "false"); }
    // A fixed-point raw value as Alpaca writes numbers: a decimal string ("101.25").
    JsonWriter& decimal(std::int64_t raw);
    // A timestamp (ns since the epoch) as RFC 3339 with microseconds, or null for 0.
    JsonWriter& time_or_null(std::int64_t ns);
    JsonWriter& string_or_null(std::string_view v) { return v.empty() ? null() : string(v); }

    [[nodiscard]] const std::string& str() const noexcept { return out_; }
    [[nodiscard]] std::string take() { return std::move(out_); }

  private:
    void separate();
    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written in it yet
    bool after_key_ = false;
};

// "2026-12-07T15:30:00.123456Z".
[[nodiscard]] std::string rfc3339(std::int64_t ns);

// Random version-4 UUIDs from a seeded generator (seeded from the clock by the server, so two
// servers' ids differ; unique within one server by construction of the generator's stream).
class UuidMaker {
  public:
    explicit UuidMaker(std::uint64_t seed) : rng_(seed) {}
    [[nodiscard]] std::string next();

  private:
    SplitMix64 rng_;
};

// A scalar field of a request body as sent: a string's contents, a number's token, true or
// false; null and nested values are kept as their kind only.
struct JsonScalar {
    enum class Kind : std::uint8_t { string, number, boolean, null, other };
    Kind kind = Kind::null;
    std::string text;
};
using JsonFields = std::map<std::string, JsonScalar>;

// A request body's top-level fields (a repeated key: the last); nullopt when the body is not
// one JSON object.
[[nodiscard]] std::optional<JsonFields> parse_fields(std::string_view body);

// A message a client sends on the stream. (Not StreamMessage: alpaca_codec.hpp has one in the
// same namespace, and two classes of one name in one program is an ODR violation: a binary
// linking the server and the adapter freed one as the other.)
struct ClientStreamMessage {
    std::string action;                // "auth", "authenticate", "listen", or what else was sent
    std::string key_id;                // auth: "key"; authenticate: data.key_id
    std::string secret;                // auth: "secret"; authenticate: data.secret_key
    std::vector<std::string> streams;  // listen: data.streams
};
[[nodiscard]] std::optional<ClientStreamMessage> parse_stream_message(std::string_view text);

// A URL query (a=b&c=d) with %XX and '+' decoded; a repeated name: the last.
[[nodiscard]] std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace keel::adapters::alpaca
