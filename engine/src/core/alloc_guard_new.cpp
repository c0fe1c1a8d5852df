// Replaces global operator new/delete (linked into test and dev builds only) so that an
// allocation on a hot pipeline thread aborts with a clear message instead of adding jitter.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "keel/engine/core/alloc_guard.hpp"

namespace keel::engine::detail {
extern thread_local bool t_hot;
extern bool g_guard_linked;
namespace {
struct MarkLinked {
    MarkLinked() { g_guard_linked = true; }
} mark_linked;

[[noreturn]] void hot_allocation() noexcept {
    static const char kMsg[] =
        "keel: allocation on a hot pipeline thread after start (alloc guard)\n";
    // write(2), not stdio: stdio itself may allocate.
    [[maybe_unused]] auto n = ::write(2, kMsg, sizeof(kMsg) - 1);
    std::abort();
}

void* guarded_alloc(std::size_t size, std::size_t align) {
    if (t_hot) [[unlikely]]
        hot_allocation();
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - align)
        throw std::bad_alloc();
    // aligned_alloc wants a size that is a multiple of the alignment.
    void* p = align > alignof(std::max_align_t)
                  ? std::aligned_alloc(align, (size + align - 1) / align * align)
                  : std::malloc(size);
    if (p == nullptr)
        throw std::bad_alloc();
    return p;
}
}  // namespace
}  // namespace keel::engine::detail

using keel::engine::detail::guarded_alloc;

void* operator new(std::size_t n) {
    return guarded_alloc(n, 0);
}
void* operator new[](std::size_t n) {
    return guarded_alloc(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return guarded_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return guarded_alloc(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return guarded_alloc(n, 0);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return guarded_alloc(n, 0);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
