// SymbolId: the small integer an instrument name is interned to at ingest.
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel::engine {

using SymbolId = std::uint32_t;
inline constexpr SymbolId kNoSymbol = 0xFFFF'FFFF;
inline constexpr std::size_t kSymbolNameMax = 31;  // bytes, without the NUL

}  // namespace keel::engine
