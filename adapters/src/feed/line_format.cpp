#include "keel/adapters/feed/line_format.hpp"

namespace keel::adapters::feed {
namespace {

void append_decimal(std::string& out, std::string_view key, std::int64_t raw) {
    char buf[engine::kMaxDecimalChars];
    const int n = engine::format_decimal(raw, buf);
    out += ",\"";
    out += key;
    out += "\":\"";
    out.append(buf, static_cast<std::size_t>(n));
    out += '"';
}

// Symbol names are interned from CSV fields and config; escaping keeps any byte valid JSON.
void append_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[(c >> 4) & 0xF];
            out += kHex[c & 0xF];
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace

std::string interval_text(std::uint32_t minutes) {
    if (minutes != 0 && minutes % 1440 == 0)
        return std::to_string(minutes / 1440) + "d";
    if (minutes != 0 && minutes % 60 == 0)
        return std::to_string(minutes / 60) + "h";
    return std::to_string(minutes) + "m";
}

bool append_message(std::string& out, const engine::Event& e, std::string_view symbol) {
    const char* type = nullptr;
    switch (e.header.type) {
        case engine::EventType::trade:
            type = "trade";
            break;
        case engine::EventType::quote:
            type = "quote";
            break;
        case engine::EventType::bar:
            type = "bar";
            break;
        default:
            return false;
    }
    out += "{\"type\":\"";
    out += type;
    out += "\",\"symbol\":";
    append_string(out, symbol);
    out += ",\"ts\":";
    out += std::to_string(e.header.ts_ns);
    switch (e.header.type) {
        case engine::EventType::trade:
            append_decimal(out, "price", e.payload.trade.price.raw);
            // An unknown size (engine::kSizeUnknown) is left out, as the data left it out.
            if (!engine::size_unknown(e.payload.trade.size))
                append_decimal(out, "size", e.payload.trade.size.raw);
            if (e.payload.trade.aggressor != engine::Side::none) {
                out += ",\"side\":\"";
                out += e.payload.trade.aggressor == engine::Side::buy ? "buy" : "sell";
                out += '"';
            }
            break;
        case engine::EventType::quote:
            append_decimal(out, "bid", e.payload.quote.bid.raw);
            append_decimal(out, "ask", e.payload.quote.ask.raw);
            if (!engine::size_unknown(e.payload.quote.bid_size))
                append_decimal(out, "bid_size", e.payload.quote.bid_size.raw);
            if (!engine::size_unknown(e.payload.quote.ask_size))
                append_decimal(out, "ask_size", e.payload.quote.ask_size.raw);
            break;
        default:
            append_decimal(out, "open", e.payload.bar.open.raw);
            append_decimal(out, "high", e.payload.bar.high.raw);
            append_decimal(out, "low", e.payload.bar.low.raw);
            append_decimal(out, "close", e.payload.bar.close.raw);
            if (!engine::size_unknown(e.payload.bar.volume))
                append_decimal(out, "volume", e.payload.bar.volume.raw);
            out += ",\"interval\":\"";
            out += interval_text(e.header.aux);
            out += '"';
            break;
    }
    out += '}';
    return true;
}

}  // namespace keel::adapters::feed
