// Proves the host probe reads what a tuned box differs in from fixture text and a fixture /proc
// and /sys tree (never this machine's values), and that check_host flags exactly the settings
// and thread-plan CPUs that are not tuned.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "keel/replay/ops/host_probe.hpp"

using namespace keel;
using namespace keel::replay;

namespace {

const char* kCpuinfo =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6354 CPU @ "
    "3.00GHz\nflags\t\t: fpu vme\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6354 "
    "CPU @ 3.00GHz\n";

void write(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

class FixtureTree : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() /
                ("keel-host-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                 "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(root_);
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    std::filesystem::path root_;
};

engine::ThreadPlan plan(std::initializer_list<std::pair<int, engine::IdleKind>> threads) {
    engine::ThreadPlan p;
    std::size_t stage = 0;
    for (auto [cpu, idle] : threads) {
        p.threads.push_back({"t" + std::to_string(stage), stage, stage, cpu, idle});
        ++stage;
    }
    return p;
}

const HostCheck& find(const std::vector<HostCheck>& checks, const std::string& name) {
    for (const HostCheck& c : checks) {
        if (c.name == name)
            return c;
    }
    ADD_FAILURE() << "no check " << name;
    return checks.front();
}

}  // namespace

TEST(HostProbe, ParsesCpuModelAndProcessorCount) {
    EXPECT_EQ(parse_cpu_model(kCpuinfo), "Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz");
    EXPECT_EQ(count_processors(kCpuinfo), 2u);
    EXPECT_EQ(parse_cpu_model("processor : 0\nBogoMIPS : 50\n"), "unknown");
}

TEST(HostProbe, ParsesCpuListsAndRejectsMalformedOnes) {
    EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
    EXPECT_EQ(parse_cpu_list("\n"), std::vector<int>{});
    EXPECT_FALSE(parse_cpu_list("3-1"));
    EXPECT_FALSE(parse_cpu_list("a,b"));
    EXPECT_EQ(parse_isolcpus("managed_irq,domain,2-5"), (std::vector<int>{2, 3, 4, 5}));
    EXPECT_EQ(parse_isolcpus("4,6"), (std::vector<int>{4, 6}));
}

TEST(HostProbe, ReadsKernelParametersBeforeTheInitSeparator) {
    const std::string cmdline =
        "BOOT_IMAGE=/vmlinuz ro isolcpus=2-5 nohz_full=2-5 quiet -- isolcpus=9\n";
    EXPECT_EQ(kernel_param(cmdline, "isolcpus"), "2-5");
    EXPECT_EQ(kernel_param(cmdline, "nohz_full"), "2-5");
    EXPECT_FALSE(kernel_param(cmdline, "rcu_nocbs"));
    EXPECT_FALSE(kernel_param("quiet isolcpusx=1", "isolcpus"));
}

TEST(HostProbe, ParsesThpSwapMemlockAndAffinity) {
    EXPECT_EQ(parse_thp_mode("always [madvise] never\n"), "madvise");
    EXPECT_EQ(parse_thp_mode("garbage"), "");
    EXPECT_EQ(parse_swap_total_kb("MemTotal: 100 kB\nSwapTotal:     2097148 kB\n"), 2097148u);
    EXPECT_FALSE(parse_swap_total_kb("MemTotal: 100 kB\n"));
    EXPECT_EQ(parse_memlock_bytes("Limit Soft Limit Hard Limit Units\nMax locked memory "
                                  "8388608              8388608              bytes\n"),
              8388608u);
    EXPECT_EQ(parse_memlock_bytes("Max locked memory         unlimited            unlimited "
                                  "bytes\n"),
              std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(parse_allowed_cpus("Name:\tkeel\nCpus_allowed_list:\t0-1,4\n"),
              (std::vector<int>{0, 1, 4}));
}

TEST_F(FixtureTree, ProbesAnUntunedHostAndFlagsEverySetting) {
    write(root_ / "proc/cpuinfo", kCpuinfo);
    write(root_ / "sys/devices/system/cpu/online", "0-1\n");
    write(root_ / "proc/self/status", "Cpus_allowed_list:\t0-1\n");
    write(root_ / "proc/sys/kernel/osrelease", "6.1.0-test\n");
    write(root_ / "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
    write(root_ / "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
    write(root_ / "proc/cmdline", "quiet\n");
    write(root_ / "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
    write(root_ / "proc/meminfo", "SwapTotal:  1024 kB\n");
    write(root_ / "proc/self/limits", "Max locked memory  65536  65536  bytes\n");

    const HostFacts f = probe_host(root_);
    EXPECT_EQ(f.cpu_model, "Intel(R) Xeon(R) Gold 6354 CPU @ 3.00GHz");
    EXPECT_EQ(f.online_cpus, (std::vector<int>{0, 1}));
    EXPECT_EQ(f.allowed_cpus, (std::vector<int>{0, 1}));
    EXPECT_EQ(f.kernel, "6.1.0-test");
    EXPECT_EQ(describe_governors(f), "powersave on cpu0-1");
    EXPECT_TRUE(f.isolated_cpus.empty());
    EXPECT_EQ(f.thp, "always");
    EXPECT_EQ(f.swap_kb, 1024u);
    EXPECT_EQ(f.memlock_bytes, 65536u);

    const engine::ThreadPlan p = plan({{0, engine::IdleKind::yield}, {1, engine::IdleKind::yield}});
    const auto checks = check_host(f, &p);
    ASSERT_EQ(checks.size(), 7u);
    for (const HostCheck& c : checks)
        EXPECT_FALSE(c.tuned) << c.name << ": " << c.found;
    EXPECT_NE(find(checks, "cpus").found.find("cpu0 is not isolated"), std::string::npos);
    EXPECT_NE(find(checks, "cpus").found.find("t0 idles with yield"), std::string::npos);
    EXPECT_EQ(find(checks, "swap").found, "on (1024 kB)");
}

TEST_F(FixtureTree, ATunedHostPassesEveryCheck) {
    write(root_ / "proc/cpuinfo", kCpuinfo);
    write(root_ / "sys/devices/system/cpu/online", "0-7\n");
    write(root_ / "proc/self/status", "Cpus_allowed_list:\t0-7\n");
    for (int cpu = 0; cpu < 8; ++cpu) {
        write(root_ / ("sys/devices/system/cpu/cpu" + std::to_string(cpu)) /
                  "cpufreq/scaling_governor",
              cpu < 2 ? "powersave\n" : "performance\n");
    }
    // No sysfs isolated file: the command line's isolcpus= is used, flags and all.
    write(root_ / "proc/cmdline", "ro isolcpus=domain,managed_irq,2-5 nohz_full=2-5\n");
    write(root_ / "sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
    write(root_ / "proc/meminfo", "SwapTotal:  0 kB\n");
    write(root_ / "proc/self/limits", "Max locked memory  unlimited  unlimited  bytes\n");

    const HostFacts f = probe_host(root_);
    EXPECT_EQ(f.isolcpus, "domain,managed_irq,2-5");
    EXPECT_EQ(f.isolated_cpus, (std::vector<int>{2, 3, 4, 5}));
    // Housekeeping CPUs 0-1 may save power: only the pipeline's CPUs must run at performance.
    const engine::ThreadPlan p = plan({{2, engine::IdleKind::busy_spin},
                                       {3, engine::IdleKind::busy_spin},
                                       {4, engine::IdleKind::busy_spin},
                                       {5, engine::IdleKind::busy_spin}});
    for (const HostCheck& c : check_host(f, &p))
        EXPECT_TRUE(c.tuned) << c.name << ": " << c.found;
}

TEST_F(FixtureTree, FlagsPlanCpusThatAreMissingOrShared) {
    write(root_ / "proc/self/status", "Cpus_allowed_list:\t0-3\n");
    write(root_ / "sys/devices/system/cpu/isolated", "2-3\n");
    const HostFacts f = probe_host(root_);
    // Nothing else readable: reported as such, never as tuned.
    EXPECT_EQ(f.cpu_model, "unknown");
    EXPECT_EQ(f.kernel, "unknown");
    EXPECT_FALSE(f.swap_kb);
    const engine::ThreadPlan p = plan({{2, engine::IdleKind::busy_spin},
                                       {2, engine::IdleKind::busy_spin},
                                       {7, engine::IdleKind::busy_spin}});
    const auto checks = check_host(f, &p);
    const HostCheck& cpus = find(checks, "cpus");
    EXPECT_FALSE(cpus.tuned);
    EXPECT_NE(cpus.found.find("cpu7 is not available"), std::string::npos) << cpus.found;
    EXPECT_NE(cpus.found.find("2 threads share cpu2"), std::string::npos) << cpus.found;
    EXPECT_FALSE(find(checks, "governor").tuned);
    EXPECT_EQ(find(checks, "swap").found, "not readable");
}

TEST(HostProbe, WithoutAPlanTheCpusLineSaysSo) {
    HostFacts f;
    f.allowed_cpus = {0, 1};
    const auto checks = check_host(f, nullptr);
    EXPECT_NE(find(checks, "cpus").found.find("no config given"), std::string::npos);
}
