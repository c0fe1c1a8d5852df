// CsvTime: how one CSV file's time column is read (start-up, cold path). Internal to the CSV
// adapter.
//
// Without a time_format the format is detected once, from the file's first row, and every later
// row must have the same shape: an ISO-8601 date, an ISO-8601 date-time, a compact date
// YYYYMMDD (a date, never epoch seconds: 20000101 is 2000-01-01), or an epoch integer whose unit
// (s, ms, us, ns) its magnitude gives. A file mixing ISO and epoch rows, or epoch units, is an
// error naming the row. With a time_format (strftime-style: %Y %y %m %d %H %M %S %f %b %T %F %%
// and literal characters) every row must match it. Times without a zone (ISO without Z or +00:00,
// compact dates, formatted times) are in the file's zone (tz, an IANA name read through the same
// date/tz library sessions use; default UTC); epoch integers are UTC by definition.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace keel::adapters {

class CsvTime {
  public:
    // The shapes a detected time column may have; every row must have the first row's.
    enum class Shape {
        unknown,
        iso_date,
        iso_datetime,
        compact_date,
        epoch_s,
        epoch_ms,
        epoch_us,
        epoch_ns,
        formatted
    };

    // Checks the format and looks the zone up; on a problem error() says why (naming the key).
    CsvTime(std::string format, const std::string& tz);

    [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    // Reads one row's time; false with why set when the text is not a time of the file's format.
    [[nodiscard]] bool parse(std::string_view text, std::int64_t& ts_ns, std::string& why);

    [[nodiscard]] static std::string_view describe(Shape s) noexcept;

  private:
    // The local (zone-less) fields of a time, before the zone makes it UTC.
    struct Civil {
        int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
        std::int64_t frac_ns = 0;
    };

    [[nodiscard]] static Shape shape_of(std::string_view text) noexcept;
    [[nodiscard]] bool parse_formatted(std::string_view text, Civil& c) const noexcept;
    [[nodiscard]] static bool parse_compact(std::string_view text, Civil& c) noexcept;
    [[nodiscard]] bool to_utc(const Civil& c, std::int64_t& ts_ns, std::string& why);

    std::string format_;
    const date::time_zone* zone_ = nullptr;  // nullptr: UTC
    std::string zone_name_;
    Shape shape_ = Shape::unknown;
    std::int64_t last_ns_ = INT64_MIN;  // the previous row's time: an ambiguous local time
                                        // (a repeated hour) takes the reading that keeps order
    std::string error_;
};

}  // namespace keel::adapters
