#include "keel/engine/core/alloc_guard.hpp"

namespace keel::engine {
namespace detail {
thread_local bool t_hot = false;
// Set by alloc_guard_new.cpp's static initialiser when the guard is linked in.
bool g_guard_linked = false;
}  // namespace detail

bool thread_is_hot() noexcept {
    return detail::t_hot;
}
bool alloc_guard_linked() noexcept {
    return detail::g_guard_linked;
}

HotScope::HotScope() noexcept : previous_(detail::t_hot) {
    detail::t_hot = true;
}
HotScope::~HotScope() {
    detail::t_hot = previous_;
}

}  // namespace keel::engine
