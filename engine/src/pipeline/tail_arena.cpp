#include "keel/engine/pipeline/tail_arena.hpp"

#include <bit>

#include "keel/assert.hpp"

namespace keel::engine {

TailArena::TailArena(std::size_t in_flight)
    : mask_(std::bit_ceil(in_flight < 2 ? std::size_t{2} : in_flight) - 1),
      // new[] without () leaves the bytes untouched, so the kernel maps them as tails arrive.
      bytes_(new unsigned char[(mask_ + 1) * kSlotBytes]),
      index_(new Entry[mask_ + 1]()) {}

void TailArena::attach(std::uint64_t seq, std::uint32_t length) noexcept {
    KEEL_ASSERT(length <= kMaxTailBytes, "a tail longer than its slot");
    Entry& e = index_[seq & mask_];
    e.seq = seq;
    e.slot = next_ & mask_;
    e.length = length;
    ++next_;
}

void TailArena::store(std::uint64_t seq, std::string_view bytes) noexcept {
    TailOut slot = next_slot();
    const bool fits = slot.put(bytes);
    KEEL_ASSERT(fits, "a tail longer than its slot");
    attach(seq, slot.length);
}

std::string_view TailArena::tail(const Event& e) const noexcept {
    if (!is_input(e.header.type))
        return {};  // derived events share their cause's seq, not its tail
    const Entry& entry = index_[e.header.seq & mask_];
    if (entry.seq != e.header.seq || entry.length == 0)
        return {};
    return {reinterpret_cast<const char*>(bytes_.get() + entry.slot * kSlotBytes),
            entry.length};
}

}  // namespace keel::engine
