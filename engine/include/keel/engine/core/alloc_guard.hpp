// The hot-path allocation guard. A thread inside a HotScope must not allocate: in builds with
// KEEL_ALLOC_GUARD the replaced global operator new aborts with a message if it does.
#pragma once

namespace keel::engine {

// True while the calling thread is a hot pipeline thread.
[[nodiscard]] bool thread_is_hot() noexcept;
// Whether this binary links the guard (false in release builds).
[[nodiscard]] bool alloc_guard_linked() noexcept;

class HotScope {
  public:
    HotScope() noexcept;
    ~HotScope();
    HotScope(const HotScope&) = delete;
    HotScope& operator=(const HotScope&) = delete;

  private:
    bool previous_;
};

}  // namespace keel::engine
