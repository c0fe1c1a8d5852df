#include "test_server_json.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "keel/engine/core/fixed_point.hpp"

namespace keel::adapters::alpaca {
namespace od = simdjson::ondemand;

// --- writer ---

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back())
            out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    separate();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
    string(k);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
    separate();
    out_ += '"';
    for (const char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out_ += '\\';
            out_ += c;
        } else if (u < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", u);
            out_ += esc;
        } else {
            out_ += c;
        }
    }
    out_ += '"';
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
}

JsonWriter& JsonWriter::decimal(std::int64_t raw_value) {
    char text[engine::kMaxDecimalChars];
    const int n = engine::format_decimal(raw_value, text);
    return string(std::string_view(text, static_cast<std::size_t>(n)));
}

JsonWriter& JsonWriter::time_or_null(std::int64_t ns) {
    return ns == 0 ? null() : string(rfc3339(ns));
}

std::string rfc3339(std::int64_t ns) {
    const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
    const auto micros = static_cast<long>((ns % 1'000'000'000) / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[64];  // room for any int the fields could hold, so nothing is cut
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return text;
}

// All 64 bits of the first draw go into the UUID (60 before the version nibble and 4 after
// the variant bits), so two UUIDs from one maker differ whenever their first draws do, and a
// SplitMix64 stream never repeats a draw within its period.
std::string UuidMaker::next() {
    const std::uint64_t a = rng_.next();
    const std::uint64_t b = rng_.next();
    const std::uint64_t a60 = a >> 4;
    const std::uint64_t hi = ((a60 >> 12) << 16) | 0x4000u | (a60 & 0xFFFu);
    const std::uint64_t lo =
        (std::uint64_t{2} << 62) | ((a & 0xFu) << 58) | (b & ((std::uint64_t{1} << 58) - 1));
    char text[40];
    std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
                  static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xFFFFu),
                  static_cast<unsigned long long>(hi & 0xFFFFu),
                  static_cast<unsigned long long>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xFFFF'FFFF'FFFFull));
    return text;
}

// --- readers ---

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() &&
           (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

JsonScalar scalar_of(od::value value) {
    JsonScalar out;
    od::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS) {
        out.kind = JsonScalar::Kind::other;
        return out;
    }
    std::string_view s;
    bool b = false;
    switch (type) {
        case od::json_type::string:
            out.kind = value.get_string().get(s) == simdjson::SUCCESS ? JsonScalar::Kind::string
                                                                      : JsonScalar::Kind::other;
            out.text = std::string(s);
            return out;
        case od::json_type::number:
            out.kind = JsonScalar::Kind::number;
            out.text = std::string(trim(value.raw_json_token()));
            return out;
        case od::json_type::boolean:
            out.kind = value.get_bool().get(b) == simdjson::SUCCESS ? JsonScalar::Kind::boolean
                                                                    : JsonScalar::Kind::other;
            out.text = b ? "true" : "false";
            return out;
        case od::json_type::null:
            out.kind = JsonScalar::Kind::null;
            return out;
        default:
            out.kind = JsonScalar::Kind::other;
            return out;
    }
}

// The document's one object, or false; a body is small, so each parse takes its own parser.
template <class OnField>
bool for_each_field(std::string_view text, OnField on_field) {
    od::parser parser;
    const simdjson::padded_string padded(text);
    od::document doc;
    od::object object;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS)
        return false;
    for (auto field : object) {
        std::string_view key;
        od::value value;
        if (field.error() != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS ||
            field.value().get(value) != simdjson::SUCCESS)
            return false;
        if (!on_field(std::string(key), value))
            return false;
    }
    const char* rest = nullptr;
    return doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS;
}

}  // namespace

std::optional<JsonFields> parse_fields(std::string_view body) {
    JsonFields fields;
    const bool ok = for_each_field(body, [&](const std::string& key, od::value& value) {
        // A nested value (an object, an array) is kept as its kind only; On-Demand skips what
        // was not read when it moves to the next field.
        fields[key] = scalar_of(value);
        return true;
    });
    if (!ok)
        return std::nullopt;
    return fields;
}

namespace {

bool read_stream_data(od::value& data, ClientStreamMessage& m) {
    od::object object;
    if (data.get_object().get(object) != simdjson::SUCCESS)
        return false;
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS)
            return false;
        std::string_view s;
        if (key == "key_id" && field.value().get_string().get(s) == simdjson::SUCCESS) {
            m.key_id = s;
        } else if (key == "secret_key" && field.value().get_string().get(s) == simdjson::SUCCESS) {
            m.secret = s;
        } else if (key == "streams") {
            od::array streams;
            if (field.value().get_array().get(streams) != simdjson::SUCCESS)
                return false;
            for (auto item : streams) {
                if (item.get_string().get(s) != simdjson::SUCCESS)
                    return false;
                m.streams.emplace_back(s);
            }
        }
    }
    return true;
}

}  // namespace

std::optional<ClientStreamMessage> parse_stream_message(std::string_view text) {
    ClientStreamMessage m;
    const bool ok = for_each_field(text, [&](const std::string& key, od::value& value) {
        std::string_view s;
        if (key == "action")
            return value.get_string().get(s) == simdjson::SUCCESS && (m.action = s, true);
        if (key == "key")
            return value.get_string().get(s) == simdjson::SUCCESS && (m.key_id = s, true);
        if (key == "secret")
            return value.get_string().get(s) == simdjson::SUCCESS && (m.secret = s, true);
        if (key == "data")
            return read_stream_data(value, m);
        return true;  // anything else is skipped
    });
    if (!ok)
        return std::nullopt;
    return m;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty())
            continue;
        const std::size_t eq = pair.find('=');
        out[url_decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    }
    return out;
}

}  // namespace keel::adapters::alpaca
