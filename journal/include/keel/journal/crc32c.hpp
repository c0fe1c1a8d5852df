// CRC32C (Castagnoli), the checksum on every journal record. Uses the SSE4.2 crc32
// instruction when the CPU has it, a slicing table otherwise; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel::journal {

// Extends crc (0 for a fresh checksum) over size bytes.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t size,
                                   std::uint32_t crc = 0) noexcept;
// The portable table implementation, exposed so tests can compare the two.
[[nodiscard]] std::uint32_t crc32c_portable(const void* data, std::size_t size,
                                            std::uint32_t crc = 0) noexcept;
[[nodiscard]] bool crc32c_hardware_available() noexcept;

}  // namespace keel::journal
