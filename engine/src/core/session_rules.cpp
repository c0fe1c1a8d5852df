#include "keel/engine/core/session_rules.hpp"

namespace keel::engine {

namespace {

// The number of changes at or before utc_s: the index of the segment that holds utc_s, where
// segment 0 runs before the first change and segment i from change i-1.
std::size_t segment_of(const SessionRules& r, std::int64_t utc_s) noexcept {
    std::size_t lo = 0;
    std::size_t hi = r.change_count;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (r.changes[mid].utc_s <= utc_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

std::int32_t segment_offset(const SessionRules& r, std::size_t seg) noexcept {
    return seg == 0 ? r.initial_offset_s : r.changes[seg - 1].offset_s;
}

}  // namespace

std::int32_t offset_at(const SessionRules& r, std::int64_t utc_s) noexcept {
    return segment_offset(r, segment_of(r, utc_s));
}

std::int64_t utc_of_local(const SessionRules& r, std::int64_t local_s) noexcept {
    // Any answer lies within 18 hours of local_s, so the segment holding local_s - 18h is the
    // earliest that can; walk forward to the first whose UTC range holds local_s - its offset.
    // Changes are months apart in every zone, so a few segments cover the 36 hours.
    std::size_t seg = segment_of(r, local_s - kMaxUtcOffsetS);
    std::int64_t previous = local_s - segment_offset(r, seg);
    for (int step = 0; step < 16 && seg <= r.change_count; ++step, ++seg) {
        const std::int64_t u = local_s - segment_offset(r, seg);
        const bool after_start = seg == 0 || u >= r.changes[seg - 1].utc_s;
        const bool before_end = seg == r.change_count || u < r.changes[seg].utc_s;
        if (!after_start)
            return previous;  // a skipped local time: the previous offset moves it past the gap
        if (before_end)
            return u;
        previous = u;
    }
    return previous;
}

const CalendarDay* calendar_day(const SessionRules& r, std::int64_t day) noexcept {
    std::size_t lo = 0;
    std::size_t hi = r.day_count;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (r.days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r.day_count && r.days[lo].day == day ? &r.days[lo] : nullptr;
}

}  // namespace keel::engine
