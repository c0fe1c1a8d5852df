// A constexpr table of names for the values of an enum (or any comparable value), looked up
// both ways: how the codecs and the event model print and read their enums' names.
//
//   constexpr Named<Side> kSides[] = {{Side::buy, "buy"}, {Side::sell, "sell"}};
//   name_of(kSides, Side::buy, "unknown") == "buy"; value_of(kSides, "sell", Side::none)
#pragma once

#include <cstddef>
#include <string_view>

namespace keel::engine {

template <class T>
struct Named {
    T value;
    std::string_view name;
};

// v's name in table, or fallback when the table does not name it.
template <class T, std::size_t N>
[[nodiscard]] constexpr std::string_view name_of(const Named<T> (&table)[N], T v,
                                                 std::string_view fallback) noexcept {
    for (const Named<T>& n : table) {
        if (n.value == v)
            return n.name;
    }
    return fallback;
}

// The value the table names name (exactly, case and all), or fallback.
template <class T, std::size_t N>
[[nodiscard]] constexpr T value_of(const Named<T> (&table)[N], std::string_view name,
                                   T fallback) noexcept {
    for (const Named<T>& n : table) {
        if (n.name == name)
            return n.value;
    }
    return fallback;
}

}  // namespace keel::engine
