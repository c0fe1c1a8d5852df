// Shared by the benchmark binaries: a reporter that keeps each benchmark's time per iteration,
// and the table of ratios between benchmarks measured in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keel::bench {

// --- collecting results for the ratio table ---

// Wraps the display reporter that --benchmark_format selects (console, json or csv), passing
// every call through and keeping each benchmark's seconds per iteration. Wrapping rather than
// subclassing ConsoleReporter keeps --benchmark_format working.
class CollectingReporter final : public benchmark::BenchmarkReporter {
  public:
    explicit CollectingReporter(benchmark::BenchmarkReporter* inner) : inner_(inner) {}

    bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type != Run::RT_Iteration)
                continue;  // skip mean/median/stddev rows
            if (run.error_occurred) {
                ++errors_;
                continue;
            }
            if (run.iterations <= 0)
                continue;
            const std::string& name = run.run_name.function_name;
            seconds_per_iteration_[name].push_back(run.real_accumulated_time /
                                                   static_cast<double>(run.iterations));
            // A lock-free benchmark's timed thread spins for the whole run, so its CPU time
            // should equal the wall time; less means something else ran on its CPU.
            if (run.real_accumulated_time > 0 &&
                run.cpu_accumulated_time < kMinBusyShare * run.real_accumulated_time) {
                descheduled_.push_back(name);
            }
        }
        inner_->ReportRuns(runs);
    }
    void Finalize() override { inner_->Finalize(); }

    // Median over repetitions (there is one unless --benchmark_repetitions is given); < 0 when
    // the benchmark did not run (filtered out or failed).
    [[nodiscard]] double seconds_per_iteration(const std::string& name) const {
        const auto it = seconds_per_iteration_.find(name);
        if (it == seconds_per_iteration_.end() || it->second.empty())
            return -1.0;
        std::vector<double> v = it->second;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    }
    [[nodiscard]] int errors() const noexcept { return errors_; }
    [[nodiscard]] bool empty() const noexcept { return seconds_per_iteration_.empty(); }
    [[nodiscard]] const std::vector<std::string>& descheduled() const noexcept {
        return descheduled_;
    }

  private:
    static constexpr double kMinBusyShare = 0.9;

    benchmark::BenchmarkReporter* inner_;
    std::map<std::string, std::vector<double>> seconds_per_iteration_;
    std::vector<std::string> descheduled_;
    int errors_ = 0;
};

enum class Goal { at_most, at_least, none };

struct RatioRow {
    const char* label;
    double value;  // < 0: not measured in this run
    Goal goal;
    double target;
};

// Round trip ratios compare ns per round trip (lower is better); throughput ratios compare
// items per second, i.e. the inverse of seconds per block.
inline double time_ratio(const CollectingReporter& r, const char* ours, const char* theirs) {
    const double a = r.seconds_per_iteration(ours);
    const double b = r.seconds_per_iteration(theirs);
    return (a > 0 && b > 0) ? a / b : -1.0;
}
inline double rate_ratio(const CollectingReporter& r, const char* ours, const char* theirs) {
    const double a = r.seconds_per_iteration(ours);
    const double b = r.seconds_per_iteration(theirs);
    return (a > 0 && b > 0) ? b / a : -1.0;
}

// Prints the rows with PASS/MISS against their targets, then warnings for benchmarks whose
// timed thread lost CPU time. Returns how many targets were missed.
// `blocking` lists name fragments of benchmarks that block by design (a mutex, fdatasync),
// whose lost CPU time is expected.
inline int print_ratio_table(const CollectingReporter& r, const std::vector<RatioRow>& rows,
                             std::FILE* out, const std::vector<std::string_view>& blocking) {
    int missed = 0;
    int checked = 0;
    std::fprintf(out, "\nRatios from this run (timings are only comparable within one run)\n");
    std::fprintf(out, "%-38s %8s %9s  %s\n", "ratio", "value", "target", "verdict");
    for (const RatioRow& row : rows) {
        char target[16] = "-";
        if (row.goal != Goal::none) {
            std::snprintf(target, sizeof(target), "%s %.2f",
                          row.goal == Goal::at_most ? "<=" : ">=", row.target);
        }
        if (row.value < 0) {
            std::fprintf(out, "%-38s %8s %9s  %s\n", row.label, "n/a", target, "not run");
            continue;
        }
        const char* verdict = "info";
        if (row.goal != Goal::none) {
            ++checked;
            const bool pass =
                row.goal == Goal::at_most ? row.value <= row.target : row.value >= row.target;
            verdict = pass ? "PASS" : "MISS";
            if (!pass)
                ++missed;
        }
        std::fprintf(out, "%-38s %8.2f %9s  %s\n", row.label, row.value, target, verdict);
    }
    // A benchmark that spins but lost CPU time was preempted, which makes the ratios that use
    // it unreliable; one that blocks by design is expected to.
    for (const std::string& name : r.descheduled()) {
        const bool expected =
            std::any_of(blocking.begin(), blocking.end(),
                        [&](std::string_view b) { return name.find(b) != std::string::npos; });
        std::fprintf(out, "warning: %s: timed thread had under 90%% of wall time on its CPU%s\n",
                     name.c_str(),
                     expected ? " (expected: it blocks by design)"
                              : "; another process competed for the CPU, rerun on an idle machine");
    }
    // Not a gate yet: a missed target is reported, and the exit status stays 0.
    std::fprintf(out, "targets: %d checked, %d missed%s\n", checked, missed,
                 missed > 0 ? " (MISS is reported only; exit status is still 0)" : "");
    return missed;
}

// Runs the benchmarks selected on the command line; the exit status is 1 when a benchmark
// reported an error (its own checks failed), 2 for a bad command line, 0 otherwise. For the
// smoke ctests, which run every benchmark binary briefly.
inline int run_counting_errors(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    class Reporter final : public benchmark::ConsoleReporter {
      public:
        void ReportRuns(const std::vector<Run>& runs) override {
            for (const Run& r : runs)
                errors += r.error_occurred ? 1 : 0;
            ConsoleReporter::ReportRuns(runs);
        }
        int errors = 0;
    } reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return reporter.errors > 0 ? 1 : 0;
}

// The display format, read before benchmark::Initialize consumes the flag: when stdout carries
// JSON or CSV the ratio table goes to stderr so that stdout stays parseable.
inline bool stdout_is_console(int argc, char** argv) {
    constexpr std::string_view kFlag = "--benchmark_format=";
    // Google Benchmark also reads its flags from BENCHMARK_* variables; the command line wins.
    const char* env = std::getenv("BENCHMARK_FORMAT");
    bool console = env == nullptr || std::string_view(env) == "console";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg.substr(0, kFlag.size()) == kFlag)
            console = arg.substr(kFlag.size()) == "console";
    }
    return console;
}

}  // namespace keel::bench
