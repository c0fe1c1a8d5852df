// MessageParser: one market-data JSON text, in keel's line format or Finnhub's trade shape,
// into trade, quote and bar Events with exact fixed-point prices and sizes (simdjson On-Demand;
// numbers are read from their text, never through a double). adapters/README.md documents both
// shapes. A malformed message yields a specific error (what, where: byte offset and field) and
// no events; a symbol the table does not know is reported, not fatal.
//
// Runs on the feed client's thread; one parser per thread (it owns simdjson's buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"

namespace keel::adapters::feed {

// Why a message was refused. Values index the client's per-kind counters; append only.
enum class ParseErrorKind : std::uint8_t {
    ok = 0,
    too_large,         // longer than the parser's limit
    invalid_json,      // not well-formed JSON (detail: simdjson's reason)
    not_an_object,     // the top-level value is not an object
    trailing_content,  // something after the top-level object
    missing_type,      // no "type" field
    unknown_type,      // "type" is none of trade, quote, bar, ping
    missing_field,     // a required field is absent
    wrong_type,        // a field has the wrong JSON type (e.g. a symbol that is a number)
    bad_number,        // not an exact decimal in range (detail: the DecimalError)
    bad_value,         // a price that is not positive, a size that is negative, a bad side
    bad_timestamp,     // not a positive integer in range (or an ISO-8601 string, for "ts")
    bad_interval,      // a bar interval that is not minutes, "30m", "1h" or "1d"
    inconsistent_bar,  // high and low do not bound open and close
    too_many_trades,   // a Finnhub "data" array longer than kMaxTradesPerMessage
};
inline constexpr std::size_t kParseErrorKinds = 15;
[[nodiscard]] std::string_view to_string(ParseErrorKind k) noexcept;

struct ParseError {
    ParseErrorKind kind = ParseErrorKind::ok;
    std::uint32_t offset = 0;  // byte offset in the message where the problem was found
    std::string_view field;    // the field's name (static storage); empty when none
    std::int32_t index = -1;   // the element of a Finnhub "data" array, -1 when none
    std::string_view detail;   // static storage: simdjson's or the decimal parser's reason
    [[nodiscard]] bool ok() const noexcept { return kind == ParseErrorKind::ok; }
};
// "bad_number at byte 57 in 'data[1].p': too_many_decimals".
[[nodiscard]] std::string describe(const ParseError& e);

// A bound on the events one message may carry, so one message cannot grow the output without
// limit (Finnhub batches a few dozen trades at most).
inline constexpr std::size_t kMaxTradesPerMessage = 4096;
inline constexpr std::size_t kDefaultMaxMessageBytes = 1 << 20;

// Exact decimal from a JSON number's text or a decimal string: "187.3", "-0.5", "1e-3",
// "1.25E+2". An exponent shifts the decimal point; the result must still be exact at 9 decimals.
[[nodiscard]] engine::DecimalError parse_json_decimal(std::string_view text,
                                                      std::int64_t& raw) noexcept;

class MessageParser {
  public:
    // symbols: the configured instruments (copied: the parser shares nothing with ingest).
    explicit MessageParser(const engine::SymbolTable& symbols,
                           std::size_t max_message_bytes = kDefaultMaxMessageBytes);
    ~MessageParser();
    MessageParser(MessageParser&&) noexcept;
    MessageParser& operator=(MessageParser&&) noexcept;

    // Parses one JSON text. out is cleared, then gets the message's events in message order
    // (source feed, seq 0, ts = the message's time); on an error it is left empty. A ping, or a
    // message whose symbols are all unknown, is ok with no events.
    ParseError parse(std::string_view message, std::vector<engine::Event>& out);

    // The names in the last message that the symbol table does not know, one entry per
    // occurrence; valid until the next parse.
    [[nodiscard]] std::span<const std::string_view> unknown_symbols() const noexcept {
        return unknown_;
    }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<std::string_view> unknown_;
};

}  // namespace keel::adapters::feed
