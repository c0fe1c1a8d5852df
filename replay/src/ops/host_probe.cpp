#include "keel/replay/ops/host_probe.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

namespace keel::replay {
namespace {

std::optional<std::string> read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

// Calls f(line) for every line of text.
template <class F>
void for_each_line(std::string_view text, F&& f) {
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        f(text.substr(0, nl));
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
}

// "key<spaces>: value" -> value, when the line's key is key.
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != key)
        return std::nullopt;
    return trim(line.substr(colon + 1));
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

// "cpu0-1,4", or "none".
std::string cpus_text(const std::vector<int>& cpus) {
    return cpus.empty() ? std::string("none") : "cpu" + engine::describe_cpus(cpus);
}

bool contains(const std::vector<int>& cpus, int cpu) {
    return std::find(cpus.begin(), cpus.end(), cpu) != cpus.end();
}

}  // namespace

std::string parse_cpu_model(std::string_view cpuinfo) {
    std::string model;
    for_each_line(cpuinfo, [&](std::string_view line) {
        if (!model.empty())
            return;
        for (const std::string_view key : {"model name", "Processor", "Hardware", "cpu model"}) {
            if (auto v = field(line, key); v && !v->empty()) {
                model = std::string(*v);
                return;
            }
        }
    });
    return model.empty() ? "unknown" : model;
}

std::size_t count_processors(std::string_view cpuinfo) {
    std::size_t n = 0;
    for_each_line(cpuinfo, [&](std::string_view line) {
        if (field(line, "processor"))
            ++n;
    });
    return n;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
    std::vector<int> cpus;
    text = trim(text);
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view part = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const std::size_t dash = part.find('-');
        const auto lo = parse_u64(part.substr(0, dash));
        const auto hi = dash == std::string_view::npos ? lo : parse_u64(part.substr(dash + 1));
        // 4096 is the kernel's largest NR_CPUS; a bigger number is not a CPU list.
        if (!lo || !hi || *hi < *lo || *hi >= 4096)
            return std::nullopt;
        for (std::uint64_t c = *lo; c <= *hi; ++c)
            cpus.push_back(static_cast<int>(c));
    }
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    return cpus;
}

std::string parse_thp_mode(std::string_view text) {
    const std::size_t open = text.find('[');
    const std::size_t close = text.find(']', open);
    if (open == std::string_view::npos || close == std::string_view::npos)
        return {};
    return std::string(text.substr(open + 1, close - open - 1));
}

std::optional<std::string> kernel_param(std::string_view cmdline, std::string_view name) {
    std::optional<std::string> value;
    std::size_t i = 0;
    while (i < cmdline.size()) {
        while (i < cmdline.size() && std::isspace(static_cast<unsigned char>(cmdline[i])))
            ++i;
        std::size_t j = i;
        while (j < cmdline.size() && !std::isspace(static_cast<unsigned char>(cmdline[j])))
            ++j;
        const std::string_view word = cmdline.substr(i, j - i);
        // Everything after "--" goes to init, not to the kernel.
        if (word == "--")
            break;
        if (word.size() > name.size() && word.substr(0, name.size()) == name &&
            word[name.size()] == '=') {
            value = std::string(word.substr(name.size() + 1));  // the last one wins, as in Linux
        }
        i = j;
    }
    return value;
}

std::optional<std::vector<int>> parse_isolcpus(std::string_view value) {
    // Flags are words; the CPU list starts at the first part that begins with a digit.
    std::size_t start = 0;
    while (start < value.size() && !std::isdigit(static_cast<unsigned char>(value[start]))) {
        const std::size_t comma = value.find(',', start);
        if (comma == std::string_view::npos)
            return std::nullopt;
        start = comma + 1;
    }
    return parse_cpu_list(value.substr(start));
}

std::optional<std::uint64_t> parse_swap_total_kb(std::string_view meminfo) {
    std::optional<std::uint64_t> kb;
    for_each_line(meminfo, [&](std::string_view line) {
        if (auto v = field(line, "SwapTotal")) {
            std::string_view n = *v;
            if (n.size() > 2 && n.substr(n.size() - 2) == "kB")
                n = trim(n.substr(0, n.size() - 2));
            kb = parse_u64(n);
        }
    });
    return kb;
}

std::optional<std::uint64_t> parse_memlock_bytes(std::string_view limits) {
    std::optional<std::uint64_t> bytes;
    for_each_line(limits, [&](std::string_view line) {
        constexpr std::string_view kKey = "Max locked memory";
        if (line.substr(0, kKey.size()) != kKey)
            return;
        std::istringstream in{std::string(line.substr(kKey.size()))};
        std::string soft;
        in >> soft;
        if (soft == "unlimited")
            bytes = std::numeric_limits<std::uint64_t>::max();
        else
            bytes = parse_u64(soft);
    });
    return bytes;
}

std::optional<std::vector<int>> parse_allowed_cpus(std::string_view status) {
    std::optional<std::vector<int>> cpus;
    for_each_line(status, [&](std::string_view line) {
        if (auto v = field(line, "Cpus_allowed_list"))
            cpus = parse_cpu_list(*v);
    });
    return cpus;
}

HostFacts probe_host(const std::filesystem::path& root) {
    HostFacts f;
    const std::filesystem::path sys_cpu = root / "sys/devices/system/cpu";
    const std::string cpuinfo = read_text(root / "proc/cpuinfo").value_or("");
    f.cpu_model = parse_cpu_model(cpuinfo);
    if (auto text = read_text(sys_cpu / "online")) {
        if (auto cpus = parse_cpu_list(*text))
            f.online_cpus = *cpus;
    }
    if (f.online_cpus.empty()) {
        for (std::size_t i = 0; i < count_processors(cpuinfo); ++i)
            f.online_cpus.push_back(static_cast<int>(i));
    }
    if (auto text = read_text(root / "proc/self/status")) {
        if (auto cpus = parse_allowed_cpus(*text))
            f.allowed_cpus = *cpus;
    }
    f.kernel = std::string(trim(read_text(root / "proc/sys/kernel/osrelease").value_or("")));
    if (f.kernel.empty())
        f.kernel = "unknown";
    for (const int cpu : f.online_cpus) {
        const auto g =
            read_text(sys_cpu / ("cpu" + std::to_string(cpu)) / "cpufreq/scaling_governor");
        if (g && !trim(*g).empty())
            f.governors.emplace_back(cpu, std::string(trim(*g)));
    }
    const std::string cmdline = read_text(root / "proc/cmdline").value_or("");
    const std::optional<std::string> isol_param = kernel_param(cmdline, "isolcpus");
    if (auto text = read_text(sys_cpu / "isolated"); text && !trim(*text).empty()) {
        f.isolcpus = std::string(trim(*text));
        f.isolated_cpus = parse_cpu_list(*text).value_or(std::vector<int>{});
    } else if (isol_param) {
        f.isolcpus = *isol_param;
        f.isolated_cpus = parse_isolcpus(*isol_param).value_or(std::vector<int>{});
    }
    if (auto text = read_text(sys_cpu / "nohz_full"); text && !trim(*text).empty()) {
        f.nohz_full_cpus = parse_cpu_list(*text).value_or(std::vector<int>{});
    } else if (auto p = kernel_param(cmdline, "nohz_full")) {
        f.nohz_full_cpus = parse_cpu_list(*p).value_or(std::vector<int>{});
    }
    f.thp =
        parse_thp_mode(read_text(root / "sys/kernel/mm/transparent_hugepage/enabled").value_or(""));
    if (auto text = read_text(root / "proc/meminfo"))
        f.swap_kb = parse_swap_total_kb(*text);
    if (auto text = read_text(root / "proc/self/limits"))
        f.memlock_bytes = parse_memlock_bytes(*text);
    return f;
}

std::string describe_governors(const HostFacts& facts) {
    if (facts.governors.empty())
        return "not readable (no cpufreq: a VM or a fixed-frequency host)";
    std::map<std::string, std::vector<int>> by_governor;
    for (const auto& [cpu, g] : facts.governors)
        by_governor[g].push_back(cpu);
    std::string out;
    for (const auto& [g, cpus] : by_governor) {
        if (!out.empty())
            out += ", ";
        out += g + " on cpu" + engine::describe_cpus(cpus);
    }
    return out;
}

std::string describe_memlock(const HostFacts& facts) {
    if (!facts.memlock_bytes)
        return "not readable";
    if (*facts.memlock_bytes == std::numeric_limits<std::uint64_t>::max())
        return "unlimited";
    return std::to_string(*facts.memlock_bytes) + " bytes (" +
           std::to_string(*facts.memlock_bytes >> 20) + " MiB)";
}

std::vector<HostCheck> check_host(const HostFacts& facts, const engine::ThreadPlan* plan) {
    std::vector<HostCheck> out;
    // The CPUs the plan pins threads to; the pipeline's CPUs when it pins any.
    std::vector<int> pinned;
    if (plan != nullptr) {
        for (const engine::ThreadSpec& t : plan->threads) {
            if (t.cpu && !contains(pinned, *t.cpu))
                pinned.push_back(*t.cpu);
        }
        std::sort(pinned.begin(), pinned.end());
    }
    const std::vector<int>& pipeline = pinned.empty() ? facts.online_cpus : pinned;
    const std::string pipeline_cpus = cpus_text(pipeline);

    {
        bool tuned = !facts.governors.empty();
        for (const auto& [cpu, g] : facts.governors) {
            if (contains(pipeline, cpu) && g != "performance")
                tuned = false;
        }
        out.push_back({"governor", tuned, describe_governors(facts),
                       "performance on the pipeline's CPUs (" + pipeline_cpus + ")"});
    }
    {
        bool tuned = !pipeline.empty();
        for (const int cpu : pipeline)
            tuned = tuned && contains(facts.isolated_cpus, cpu);
        out.push_back({"isolcpus", tuned,
                       facts.isolcpus.empty() ? std::string("none") : facts.isolcpus,
                       "the pipeline's CPUs isolated (isolcpus= or a cpuset): " + pipeline_cpus});
    }
    {
        bool tuned = !pipeline.empty();
        for (const int cpu : pipeline)
            tuned = tuned && contains(facts.nohz_full_cpus, cpu);
        out.push_back({"nohz_full", tuned, cpus_text(facts.nohz_full_cpus),
                       "nohz_full= the pipeline's CPUs (" + pipeline_cpus + ")"});
    }
    out.push_back({"thp", facts.thp == "never" || facts.thp == "madvise",
                   facts.thp.empty() ? std::string("not readable") : facts.thp,
                   "never or madvise (no khugepaged compaction stalls)"});
    out.push_back({"swap", facts.swap_kb && *facts.swap_kb == 0,
                   !facts.swap_kb        ? std::string("not readable")
                   : *facts.swap_kb == 0 ? std::string("off")
                                         : "on (" + std::to_string(*facts.swap_kb) + " kB)",
                   "off (swapoff -a), so no hot page is ever swapped out"});
    out.push_back(
        {"memlock",
         facts.memlock_bytes && *facts.memlock_bytes == std::numeric_limits<std::uint64_t>::max(),
         describe_memlock(facts), "unlimited (LimitMEMLOCK=infinity), to mlock memory"});

    HostCheck cpus{"cpus", true, "", ""};
    if (plan == nullptr) {
        cpus.found = "no config given: the thread plan was not checked; available " +
                     cpus_text(facts.allowed_cpus);
        cpus.tuned_value = "one isolated, available CPU per pinned thread";
    } else {
        std::string threads;
        std::vector<std::string> problems;
        std::map<int, std::size_t> threads_on;
        for (const engine::ThreadSpec& t : plan->threads) {
            if (!threads.empty())
                threads += ", ";
            threads += t.name + " ";
            threads += t.cpu ? "cpu" + std::to_string(*t.cpu) : std::string("unpinned");
            threads += " " + std::string(engine::to_string(t.idle));
            if (!t.cpu) {
                problems.push_back(t.name + " is not pinned");
                continue;
            }
            ++threads_on[*t.cpu];
            if (!facts.allowed_cpus.empty() && !contains(facts.allowed_cpus, *t.cpu))
                problems.push_back("cpu" + std::to_string(*t.cpu) + " is not available");
            else if (!contains(facts.isolated_cpus, *t.cpu))
                problems.push_back("cpu" + std::to_string(*t.cpu) + " is not isolated");
            if (t.idle != engine::IdleKind::busy_spin)
                problems.push_back(t.name + " idles with " +
                                   std::string(engine::to_string(t.idle)));
        }
        for (const auto& [cpu, n] : threads_on) {
            if (n > 1)
                problems.push_back(std::to_string(n) + " threads share cpu" + std::to_string(cpu));
        }
        cpus.tuned = problems.empty();
        cpus.found = "plan " + threads + "; available " + cpus_text(facts.allowed_cpus) +
                     ", isolated " + cpus_text(facts.isolated_cpus);
        for (const std::string& p : problems)
            cpus.found += "; " + p;
        cpus.tuned_value = "each thread pinned to its own available, isolated CPU, busy_spin";
    }
    out.push_back(std::move(cpus));
    return out;
}

}  // namespace keel::replay
