#include "csv_time.hpp"

#include <date/tz.h>

#include <cctype>
#include <chrono>
#include <stdexcept>

#include "keel/adapters/parse/timestamp.hpp"

namespace keel::adapters {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000LL;

bool all_digits(std::string_view s) noexcept {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Up to max_width digits at pos (at least one), advancing pos: strptime's reading, so "%m/%d"
// takes "6/1" and "%Y%m%d" takes "19970601".
bool read_number(std::string_view s, std::size_t& pos, std::size_t max_width, int& out) noexcept {
    std::size_t n = 0;
    int v = 0;
    while (n < max_width && pos + n < s.size() && s[pos + n] >= '0' && s[pos + n] <= '9') {
        v = v * 10 + (s[pos + n] - '0');
        ++n;
    }
    if (n == 0)
        return false;
    pos += n;
    out = v;
    return true;
}

bool valid_date(int y, int m, int d) noexcept {
    static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > kDaysIn[m - 1])
        return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d != 29 || leap;
}

bool read_month_name(std::string_view s, std::size_t& pos, int& month) noexcept {
    static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    if (pos + 3 > s.size())
        return false;
    char m[3];
    for (int i = 0; i < 3; ++i)
        m[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[pos + i])));
    for (int i = 0; i < 12; ++i) {
        if (std::string_view(m, 3) == kMonths[i]) {
            month = i + 1;
            pos += 3;
            return true;
        }
    }
    return false;
}

// A time with a zone of its own ("...Z", "+00:00"): not naive, so the file's tz does not apply.
bool has_zone(std::string_view iso) noexcept {
    return iso.size() > 10 && (iso.back() == 'Z' || iso.find('+', 10) != std::string_view::npos);
}

}  // namespace

CsvTime::CsvTime(std::string format, const std::string& tz) : format_(std::move(format)) {
    if (!format_.empty()) {
        // The format must be one we can read; a row is checked against it later.
        for (std::size_t i = 0; i < format_.size(); ++i) {
            if (format_[i] != '%')
                continue;
            if (++i == format_.size() ||
                std::string_view("YymdHMSfbTF%").find(format_[i]) == std::string_view::npos) {
                error_ = "time_format: '" + format_ +
                         "' uses a directive keel does not read (it reads %Y %y %m %d %H %M %S "
                         "%f %b %T %F %%)";
                return;
            }
        }
        shape_ = Shape::formatted;
    }
    if (!tz.empty() && tz != "UTC") {
        try {
            zone_ = date::locate_zone(tz);
            zone_name_ = tz;
        } catch (const std::exception&) {
            error_ = "tz: '" + tz + "' is not a time zone of the tz database";
        }
    }
}

std::string_view CsvTime::describe(Shape s) noexcept {
    switch (s) {
        case Shape::iso_date:
            return "ISO dates (YYYY-MM-DD)";
        case Shape::iso_datetime:
            return "ISO date-times";
        case Shape::compact_date:
            return "compact dates (YYYYMMDD)";
        case Shape::epoch_s:
            return "epoch seconds";
        case Shape::epoch_ms:
            return "epoch milliseconds";
        case Shape::epoch_us:
            return "epoch microseconds";
        case Shape::epoch_ns:
            return "epoch nanoseconds";
        case Shape::formatted:
            return "time_format";
        case Shape::unknown:
            break;
    }
    return "unknown";
}

CsvTime::Shape CsvTime::shape_of(std::string_view s) noexcept {
    if (all_digits(s)) {
        Civil c;
        if (s.size() == 8 && parse_compact(s, c))
            return Shape::compact_date;
        // parse_timestamp_ns's magnitude rule: seconds below 1e11 (until year 5138), then ms,
        // us, ns; more than int64 is no timestamp.
        if (s.size() > 19 || !parse_timestamp_ns(s))
            return Shape::unknown;
        std::int64_t n = 0;
        for (const char ch : s)
            n = n * 10 + (ch - '0');
        if (n < 100'000'000'000LL)
            return Shape::epoch_s;
        if (n < 100'000'000'000'000LL)
            return Shape::epoch_ms;
        if (n < 100'000'000'000'000'000LL)
            return Shape::epoch_us;
        return Shape::epoch_ns;
    }
    if (!parse_timestamp_ns(s))
        return Shape::unknown;
    return s.size() == 10 ? Shape::iso_date : Shape::iso_datetime;
}

bool CsvTime::parse_compact(std::string_view s, Civil& c) noexcept {
    c = Civil{};
    c.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    c.month = (s[4] - '0') * 10 + (s[5] - '0');
    c.day = (s[6] - '0') * 10 + (s[7] - '0');
    return c.year >= 1800 && valid_date(c.year, c.month, c.day);
}

bool CsvTime::parse(std::string_view text, std::int64_t& ts_ns, std::string& why) {
    Civil c;
    if (shape_ == Shape::formatted) {
        if (!parse_formatted(text, c)) {
            why = "'" + std::string(text) + "' does not match time_format '" + format_ + "'";
            return false;
        }
        return to_utc(c, ts_ns, why);
    }
    const Shape s = shape_of(text);
    if (s == Shape::unknown) {
        why = "'" + std::string(text) +
              "' is not a timestamp (ISO-8601 date or date-time, YYYYMMDD, or epoch s/ms/us/ns; "
              "or set the file's time_format)";
        return false;
    }
    if (shape_ == Shape::unknown)
        shape_ = s;  // detected once, from the first row
    if (s != shape_) {
        why = "'" + std::string(text) + "' is in " + std::string(describe(s)) +
              " but this file's times are " + std::string(describe(shape_)) +
              " (detected from its first row; every row must match)";
        return false;
    }
    if (s == Shape::compact_date) {
        (void)parse_compact(text, c);
        return to_utc(c, ts_ns, why);
    }
    const std::int64_t ns = *parse_timestamp_ns(text);
    if (zone_ != nullptr && (s == Shape::iso_date || (s == Shape::iso_datetime && !has_zone(text)))) {
        // A naive time in the file's zone: parse_timestamp_ns read it as UTC.
        const std::int64_t day =
            (ns >= 0 ? ns : ns - 86'400 * kNsPerSecond + 1) / (86'400 * kNsPerSecond);
        const std::int64_t in_day = ns - day * 86'400 * kNsPerSecond;
        const auto ymd = date::year_month_day{date::sys_days{date::days{day}}};
        c.year = static_cast<int>(ymd.year());
        c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
        c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
        c.hour = static_cast<int>(in_day / (3600 * kNsPerSecond));
        c.minute = static_cast<int>(in_day / (60 * kNsPerSecond) % 60);
        c.second = static_cast<int>(in_day / kNsPerSecond % 60);
        c.frac_ns = in_day % kNsPerSecond;
        return to_utc(c, ts_ns, why);
    }
    ts_ns = ns;
    last_ns_ = ns;
    return true;
}

bool CsvTime::parse_formatted(std::string_view s, Civil& c) const noexcept {
    c = Civil{};
    std::size_t pos = 0;
    bool ok = true;
    for (std::size_t i = 0; i < format_.size() && ok; ++i) {
        const char f = format_[i];
        if (f != '%') {
            ok = pos < s.size() && s[pos] == f;
            ++pos;
            continue;
        }
        int yy = 0;
        switch (format_[++i]) {
            case 'Y':
                ok = read_number(s, pos, 4, c.year);
                break;
            case 'y':
                ok = read_number(s, pos, 2, yy);
                c.year = yy < 69 ? 2000 + yy : 1900 + yy;  // POSIX's pivot
                break;
            case 'm':
                ok = read_number(s, pos, 2, c.month);
                break;
            case 'd':
                ok = read_number(s, pos, 2, c.day);
                break;
            case 'H':
                ok = read_number(s, pos, 2, c.hour);
                break;
            case 'M':
                ok = read_number(s, pos, 2, c.minute);
                break;
            case 'S':
                ok = read_number(s, pos, 2, c.second);
                break;
            case 'b':
                ok = read_month_name(s, pos, c.month);
                break;
            case 'T':
                ok = read_number(s, pos, 2, c.hour) && pos < s.size() && s[pos++] == ':' &&
                     read_number(s, pos, 2, c.minute) && pos < s.size() && s[pos++] == ':' &&
                     read_number(s, pos, 2, c.second);
                break;
            case 'F':
                ok = read_number(s, pos, 4, c.year) && pos < s.size() && s[pos++] == '-' &&
                     read_number(s, pos, 2, c.month) && pos < s.size() && s[pos++] == '-' &&
                     read_number(s, pos, 2, c.day);
                break;
            case 'f': {
                // 1 to 9 digits of a second.
                std::int64_t scale = 100'000'000;
                const std::size_t start = pos;
                while (pos < s.size() && pos - start < 9 && s[pos] >= '0' && s[pos] <= '9') {
                    c.frac_ns += (s[pos++] - '0') * scale;
                    scale /= 10;
                }
                ok = pos > start;
                break;
            }
            default:  // '%%'
                ok = pos < s.size() && s[pos++] == '%';
                break;
        }
    }
    return ok && pos == s.size() && valid_date(c.year, c.month, c.day) && c.hour <= 23 &&
           c.minute <= 59 && c.second <= 60;
}

bool CsvTime::to_utc(const Civil& c, std::int64_t& ts_ns, std::string& why) {
    const std::int64_t day =
        days_from_civil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
    const std::int64_t local_s = day * 86'400 + c.hour * 3600 + c.minute * 60 + c.second;
    std::int64_t utc_s = local_s;
    if (zone_ != nullptr) {
        const date::local_seconds lt{std::chrono::seconds{local_s}};
        const date::local_info info = zone_->get_info(lt);
        if (info.result == date::local_info::nonexistent) {
            why = "local time does not exist in " + zone_name_ + " (skipped by a clock change)";
            return false;
        }
        utc_s = local_s - info.first.offset.count();
        // A repeated hour (the clock set back): the earlier reading, unless that would put this
        // row before the previous one, which the later reading then follows.
        if (info.result == date::local_info::ambiguous &&
            (utc_s * kNsPerSecond + c.frac_ns) < last_ns_)
            utc_s = local_s - info.second.offset.count();
    }
    // Within int64 nanoseconds: years 1678 to 2262.
    if (utc_s < -9'223'372'036LL || utc_s > 9'223'372'035LL) {
        why = "time out of range (years 1678 to 2262)";
        return false;
    }
    ts_ns = utc_s * kNsPerSecond + c.frac_ns;
    last_ns_ = ts_ns;
    return true;
}

}  // namespace keel::adapters
