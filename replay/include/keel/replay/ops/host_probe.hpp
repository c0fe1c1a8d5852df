// HostFacts: what a low-latency run depends on about the machine (CPU model and count, the CPUs
// this process may use, kernel, frequency governor, isolated and tickless CPUs, transparent huge
// pages, swap, the locked-memory limit), read from /proc and /sys under a root directory so tests
// probe a fixture tree. check_host turns the facts and a thread plan into one line per setting
// that a tuned box would have differently. Cold path only: start-up, `keel run --check-host`,
// and the manifest of `keel bench e2e`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/pipeline/thread_plan.hpp"

namespace keel::replay {

struct HostFacts {
    std::string cpu_model;          // "unknown" when /proc/cpuinfo names none
    std::vector<int> online_cpus;   // /sys/devices/system/cpu/online (else cpuinfo's processors)
    std::vector<int> allowed_cpus;  // this process's affinity (/proc/self/status)
    std::string kernel;             // /proc/sys/kernel/osrelease; "unknown" if unreadable
    // Per online CPU that has cpufreq: its scaling governor. Empty when none is readable (VMs
    // and fixed-frequency hosts have no cpufreq).
    std::vector<std::pair<int, std::string>> governors;
    std::vector<int> isolated_cpus;  // /sys/devices/system/cpu/isolated, else isolcpus=
    std::string isolcpus;            // as the kernel states it ("" when none)
    std::vector<int> nohz_full_cpus;
    std::string thp;  // the selected transparent_hugepage mode ("always", ...); "" unreadable
    std::optional<std::uint64_t> swap_kb;  // SwapTotal; nullopt when unreadable
    // Max locked memory (soft limit) in bytes; UINT64_MAX = unlimited; nullopt when unreadable.
    std::optional<std::uint64_t> memlock_bytes;
};

// Reads the facts from root ("/" on a real host).
[[nodiscard]] HostFacts probe_host(const std::filesystem::path& root = "/");

// --- the parsers probe_host uses, public for tests ---

// The first "model name" (x86) or "Processor"/"CPU part" line's value; "unknown" when none.
[[nodiscard]] std::string parse_cpu_model(std::string_view cpuinfo);
// How many "processor" lines cpuinfo has.
[[nodiscard]] std::size_t count_processors(std::string_view cpuinfo);
// "0-3,8,10-11" -> {0,1,2,3,8,10,11}; blank -> {}; nullopt when malformed.
[[nodiscard]] std::optional<std::vector<int>> parse_cpu_list(std::string_view text);
// The bracketed choice of "always [madvise] never"; "" when there is none.
[[nodiscard]] std::string parse_thp_mode(std::string_view text);
// The value of name=value on a kernel command line; nullopt when absent.
[[nodiscard]] std::optional<std::string> kernel_param(std::string_view cmdline,
                                                      std::string_view name);
// isolcpus=[flag,...,]cpu-list (flags such as domain, managed_irq, nohz) -> the CPU list.
[[nodiscard]] std::optional<std::vector<int>> parse_isolcpus(std::string_view value);
// "SwapTotal:  2097148 kB" of /proc/meminfo, in kB.
[[nodiscard]] std::optional<std::uint64_t> parse_swap_total_kb(std::string_view meminfo);
// The soft "Max locked memory" of /proc/self/limits in bytes (UINT64_MAX for unlimited).
[[nodiscard]] std::optional<std::uint64_t> parse_memlock_bytes(std::string_view limits);
// "Cpus_allowed_list:" of /proc/self/status.
[[nodiscard]] std::optional<std::vector<int>> parse_allowed_cpus(std::string_view status);

// "powersave on cpu0-1" / "performance on cpu0, powersave on cpu1" / "not readable".
[[nodiscard]] std::string describe_governors(const HostFacts& facts);
// "unlimited" or "8388608 bytes (8 MiB)" or "not readable".
[[nodiscard]] std::string describe_memlock(const HostFacts& facts);

// One setting: what was found, what a tuned box has, and whether this one is tuned.
struct HostCheck {
    std::string name;  // governor, isolcpus, nohz_full, thp, swap, memlock, cpus
    bool tuned = false;
    std::string found;
    std::string tuned_value;
};

// Every setting, tuned or not. plan: the config's thread plan (nullptr: the CPUs line says no
// plan was given).
[[nodiscard]] std::vector<HostCheck> check_host(const HostFacts& facts,
                                                const engine::ThreadPlan* plan);

}  // namespace keel::replay
