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

// The counter a two-thread benchmark sets to its partner thread's CPU time over its wall time
// (ring_bench's Partner): CollectingReporter holds it to the same 90% as the timed thread.
inline constexpr const char* kPartnerBusyShare = "partner_busy_share";

// The counter a benchmark whose threads yield by design sets to the share of its measurements
// no other process held up (fix_bench: round trips without a time-slice stall). Its own measure
// replaces the CPU-time test, which yielding threads fail on an idle machine; held to 90% too.
inline constexpr const char* kUndisturbedShare = "undisturbed_share";

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
            // should equal the wall time; less means something else ran on its CPU. The same
            // holds for a spinning partner thread, which reports its own share.
            const auto partner = run.counters.find(kPartnerBusyShare);
            const bool partner_lost =
                partner != run.counters.end() && partner->second.value < kMinBusyShare;
            const auto undisturbed = run.counters.find(kUndisturbedShare);
            const bool cpu_lost =
                undisturbed != run.counters.end()
                    ? undisturbed->second.value < kMinBusyShare
                    : run.real_accumulated_time > 0 &&
                          run.cpu_accumulated_time < kMinBusyShare * run.real_accumulated_time;
            if (partner_lost || cpu_lost) {
                descheduled_.push_back(name);
                ++descheduled_repetitions_[name];
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
    // Benchmarks whose timed thread (or spinning partner thread) lost CPU time in most of their
    // repetitions, so that even their median was measured while another process ran on their CPUs.
    [[nodiscard]] std::vector<std::string> disturbed() const {
        std::vector<std::string> out;
        for (const auto& [name, lost] : descheduled_repetitions_) {
            const auto it = seconds_per_iteration_.find(name);
            const std::size_t reps = it == seconds_per_iteration_.end() ? 0 : it->second.size();
            if (2 * static_cast<std::size_t>(lost) > reps)
                out.push_back(name);
        }
        return out;
    }

  private:
    static constexpr double kMinBusyShare = 0.9;

    benchmark::BenchmarkReporter* inner_;
    std::map<std::string, std::vector<double>> seconds_per_iteration_;
    std::vector<std::string> descheduled_;
    std::map<std::string, int> descheduled_repetitions_;
    int errors_ = 0;
};

enum class Goal { at_most, at_least, none };

// Whether a ratio still means something when another process took CPU time from the timed
// thread. Single-threaded benchmarks lose time in proportion on both sides of a ratio, so it
// holds (tolerated). Two threads spinning against each other on a 2-CPU machine measure the
// scheduler instead once a third process runs (voids_gate): the gate then skips the ratios of
// that binary and says why, rather than fail or pass on noise.
enum class Disturbance { tolerated, voids_gate };

// A gate bound that says "not gated": the ratio is reported against its target only.
inline constexpr double kNotGated = -1.0;

// target is what we aim for; gate is the looser regression bound CI fails on (bench/gate.py),
// in the same direction, chosen to hold on a loaded 2-core VM (bench/README.md says why each).
struct RatioRow {
    const char* label;
    double value;  // < 0: not measured in this run
    Goal goal;
    double target;
    double gate;  // kNotGated: reported only
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

// --- the ratio table as JSON, for bench/run.sh and the CI gate ---

inline const char* goal_name(Goal g) noexcept {
    switch (g) {
        case Goal::at_most:
            return "at_most";
        case Goal::at_least:
            return "at_least";
        case Goal::none:
            break;
    }
    return "none";
}

// Labels and benchmark names are plain ASCII written in this repository; escaping quotes and
// backslashes is all JSON needs of them.
inline void write_json_string(std::FILE* f, std::string_view s) {
    std::fputc('"', f);
    for (const char c : s) {
        if (c == '"' || c == '\\')
            std::fputc('\\', f);
        std::fputc(c, f);
    }
    std::fputc('"', f);
}

inline void write_json_number(std::FILE* f, double v, bool present) {
    if (present)
        std::fprintf(f, "%.6g", v);
    else
        std::fputs("null", f);
}

// Writes {"ratios": [...], "descheduled": [...]} to `path`: each row's name, value (null when
// not run), direction, target and gate bound (null when there is none). Returns false, with
// the reason on stderr, when the file cannot be written.
inline bool write_ratio_json(const CollectingReporter& r, const std::vector<RatioRow>& rows,
                             const std::vector<std::string_view>& blocking, Disturbance disturbance,
                             const char* path) {
    std::FILE* f = std::fopen(path, "w");
    if (f == nullptr) {
        std::fprintf(stderr, "cannot write the ratio table to %s\n", path);
        return false;
    }
    std::fputs("{\"ratios\": [", f);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const RatioRow& row = rows[i];
        std::fputs(i == 0 ? "\n  {\"name\": " : ",\n  {\"name\": ", f);
        write_json_string(f, row.label);
        std::fputs(", \"value\": ", f);
        write_json_number(f, row.value, row.value >= 0);
        std::fprintf(f, ", \"direction\": \"%s\", \"target\": ", goal_name(row.goal));
        write_json_number(f, row.target, row.goal != Goal::none);
        std::fputs(", \"gate\": ", f);
        write_json_number(f, row.gate, row.goal != Goal::none && row.gate >= 0);
        std::fputs("}", f);
    }
    std::fputs("\n], \"descheduled\": [", f);
    for (std::size_t i = 0; i < r.descheduled().size(); ++i) {
        const std::string& name = r.descheduled()[i];
        const bool expected =
            std::any_of(blocking.begin(), blocking.end(),
                        [&](std::string_view b) { return name.find(b) != std::string::npos; });
        std::fputs(i == 0 ? "\n  {\"benchmark\": " : ",\n  {\"benchmark\": ", f);
        write_json_string(f, name);
        std::fprintf(f, ", \"blocks_by_design\": %s}", expected ? "true" : "false");
    }
    // Disturbed benchmarks that block by design (a mutex, fdatasync) are expected to lose CPU
    // time and say nothing about the machine.
    std::fputs("\n], \"disturbed\": [", f);
    bool first = true;
    for (const std::string& name : r.disturbed()) {
        const bool expected =
            std::any_of(blocking.begin(), blocking.end(),
                        [&](std::string_view b) { return name.find(b) != std::string::npos; });
        if (expected)
            continue;
        std::fputs(first ? "" : ", ", f);
        write_json_string(f, name);
        first = false;
    }
    std::fprintf(f, "], \"gate_void_if_disturbed\": %s}\n",
                 disturbance == Disturbance::voids_gate ? "true" : "false");
    const bool ok = std::fclose(f) == 0;
    if (!ok)
        std::fprintf(stderr, "cannot write the ratio table to %s\n", path);
    return ok;
}

// Where the ratio table goes as JSON, besides the printed table: the file named by
// KEEL_BENCH_RATIOS, when set (bench/run.sh sets it per binary).
inline const char* ratio_json_path() noexcept {
    const char* p = std::getenv("KEEL_BENCH_RATIOS");
    return (p != nullptr && *p != '\0') ? p : nullptr;
}

// Prints the rows with PASS/MISS against their targets, then warnings for benchmarks whose
// timed thread lost CPU time. Returns how many targets were missed.
// `blocking` lists name fragments of benchmarks that block by design (a mutex, fdatasync),
// whose lost CPU time is expected.
inline int print_ratio_table(const CollectingReporter& r, const std::vector<RatioRow>& rows,
                             std::FILE* out, const std::vector<std::string_view>& blocking,
                             Disturbance disturbance = Disturbance::tolerated) {
    int missed = 0;
    int checked = 0;
    std::fprintf(out, "\nRatios from this run (timings are only comparable within one run)\n");
    std::fprintf(out, "%-38s %8s %9s %9s  %s\n", "ratio", "value", "target", "gate", "verdict");
    for (const RatioRow& row : rows) {
        char target[16] = "-";
        char gate[16] = "-";
        if (row.goal != Goal::none) {
            const char* op = row.goal == Goal::at_most ? "<=" : ">=";
            std::snprintf(target, sizeof(target), "%s %.2f", op, row.target);
            if (row.gate >= 0)
                std::snprintf(gate, sizeof(gate), "%s %.2f", op, row.gate);
        }
        if (row.value < 0) {
            std::fprintf(out, "%-38s %8s %9s %9s  %s\n", row.label, "n/a", target, gate, "not run");
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
        std::fprintf(out, "%-38s %8.2f %9s %9s  %s\n", row.label, row.value, target, gate, verdict);
    }
    // A benchmark that spins but lost CPU time was preempted, which makes the ratios that use
    // it unreliable; one that blocks by design is expected to.
    for (const std::string& name : r.descheduled()) {
        const bool expected =
            std::any_of(blocking.begin(), blocking.end(),
                        [&](std::string_view b) { return name.find(b) != std::string::npos; });
        std::fprintf(out,
                     "warning: %s: timed or partner thread had under 90%% of wall time on its "
                     "CPU%s\n",
                     name.c_str(),
                     expected ? " (expected: it blocks by design)"
                              : "; another process competed for the CPU, rerun on an idle machine");
    }
    // A missed target is reported, and the exit status stays 0: the gate bounds are checked by
    // bench/gate.py from the JSON, so that one place decides what fails CI.
    std::fprintf(out, "targets: %d checked, %d missed%s\n", checked, missed,
                 missed > 0 ? " (MISS is reported only; exit status is still 0)" : "");
    if (const char* path = ratio_json_path())
        write_ratio_json(r, rows, blocking, disturbance, path);
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
