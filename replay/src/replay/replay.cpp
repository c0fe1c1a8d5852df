#include "keel/replay/replay/replay.hpp"

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "keel/adapters/sim_venue/venue_config.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/assembly/assembly.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;

// A scratch directory for the re-derived journal, removed when the replay ends.
class ScratchDir {
  public:
    explicit ScratchDir(std::string& error) {
        std::string pattern = (fs::temp_directory_path() / "keel-replay-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            error = "cannot create a scratch directory under " +
                    fs::temp_directory_path().string() + ": " + std::strerror(errno);
            return;
        }
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty())
            fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// Re-runs journaled inputs as a new session (no restart: a replay writes a fresh journal, or
// none), fused on one thread.
std::optional<SessionReport> rerun(const engine::Config& config, const SessionInput& input,
                                   const fs::path& journal_dir, std::string& error) {
    std::atomic<bool> stop{false};
    SessionOptions options;
    options.plan = engine::ThreadPlan::fused(engine::kStageCount);
    options.journal_dir = journal_dir;
    options.input = input;
    SessionAssembly session(config, stop, options);
    if (!session.open_inputs(error) || !session.lock_journal(error) ||
        !session.build_stages(error) || !session.open_streams(error) ||
        !session.run(nullptr, error))
        return std::nullopt;
    return session.report();
}

std::string config_errors(const std::string& what, const engine::ConfigResult& result) {
    std::string error = what + ":";
    for (const engine::ConfigError& e : result.errors)
        error += "\n  " + e.path + ": " + e.message;
    return error;
}

// The last sequence where each stage's state hash matched before seq (state_hash records).
std::vector<std::pair<std::string, std::uint64_t>> state_last_matched(const fs::path& dir,
                                                                      const fs::path& replayed,
                                                                      std::uint64_t seq) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const char* s : {"strategy", "risk", "gateway"}) {
        std::vector<JournaledRecord> e2, a2;
        std::string error;
        if (!read_records(dir, s, e2, error, seq - 1) ||
            !read_records(replayed, s, a2, error, seq - 1))
            break;
        std::uint64_t last = 0;
        for (std::size_t k = 0; k < std::min(e2.size(), a2.size()); ++k) {
            if (e2[k].type == static_cast<std::uint16_t>(engine::EventType::state_hash) &&
                e2[k] == a2[k])
                last = e2[k].seq;
            if (!(e2[k] == a2[k]))
                break;
        }
        out.emplace_back(s, last);
    }
    return out;
}

// Compares every stream of the journal with the re-derived one, up to until. False with error
// set when either cannot be read.
bool verify(const fs::path& dir, const fs::path& replayed, std::uint64_t until,
            std::optional<Divergence>& out, std::string& error) {
    for (const char* stream : kStreams) {
        std::vector<JournaledRecord> expected, actual;
        if (!read_records(dir, stream, expected, error, until)) {
            error = dir.string() + ": " + error;
            return false;
        }
        if (!read_records(replayed, stream, actual, error, until)) {
            error = "replay: " + error;
            return false;
        }
        const std::size_t n = std::min(expected.size(), actual.size());
        std::size_t i = 0;
        while (i < n && expected[i] == actual[i])
            ++i;
        if (i == n && expected.size() == actual.size())
            continue;
        Divergence d;
        d.stream = stream;
        d.seq = i < expected.size() ? expected[i].seq : actual[i].seq;
        if (i < expected.size())
            d.expected = expected[i];
        if (i < actual.size())
            d.actual = actual[i];
        d.state_last_matched = state_last_matched(dir, replayed, d.seq);
        out = std::move(d);
        return true;
    }
    return true;
}

}  // namespace

engine::ConfigResult journaled_config(const std::string& config_text,
                                      const std::vector<engine::ConfigOverride>& overrides) {
    engine::ConfigResult r = engine::parse_config(config_text, "the journal's session start",
                                                  fs::current_path(), {}, overrides);
    // A replay reads the journal, not the data files: their being gone is no problem.
    std::erase_if(r.errors, [](const engine::ConfigError& e) {
        return e.path.rfind("data.files[", 0) == 0 && e.message.rfind("file not found", 0) == 0;
    });
    adapters::validate_adapter_config(r.config, r.errors);
    return r;
}

ReplayOutcome rerun_journal(const fs::path& dir, const ReplayOptions& options) {
    ReplayOutcome out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        out.error = dir.string() + ": not a directory";
        return out;
    }
    // A damaged journal is refused whole: derived streams are not re-run, but a replay of
    // inputs beside damaged records would verify against a journal that is not what was written.
    if (const auto damage = journal::journal_damage(dir)) {
        out.error = dir.string() + ": corrupt journal: " + *damage;
        return out;
    }
    std::string error;
    if (!read_session(dir, out.session, error)) {
        out.error = dir.string() + ": " + error;
        return out;
    }
    const engine::ConfigResult cr = journaled_config(out.session.config_text);
    if (!cr.ok()) {
        out.error = config_errors(dir.string() + ": the journaled configuration is not usable", cr);
        return out;
    }
    out.until = options.at ? *options.at : options.until.value_or(UINT64_MAX);
    const JournaledInputs inputs = out.session.inputs.up_to(out.until);
    ScratchDir scratch(error);
    if (scratch.path().empty()) {
        out.error = error;
        return out;
    }
    const fs::path replayed = scratch.path() / "j";
    std::optional<SessionReport> report = rerun(cr.config, RerunInput{&inputs}, replayed, error);
    if (!report) {
        out.error = "replay of " + dir.string() + " failed: " + error;
        return out;
    }
    if (!report->journal_error.empty()) {
        out.error = "replay of " + dir.string() +
                    ": its scratch journal failed: " + report->journal_error;
        return out;
    }
    out.report = std::move(*report);
    if (!options.sets.empty()) {
        const engine::ConfigResult changed = journaled_config(out.session.config_text, options.sets);
        if (!changed.ok()) {
            out.error = config_errors("the changed configuration is not valid", changed);
            return out;
        }
        out.what_if = rerun(changed.config, WhatIfInput{&out.session.inputs}, {}, error);
        if (!out.what_if)
            out.error = "what-if run failed: " + error;
        return out;
    }
    if (options.verify && !verify(dir, replayed, out.until, out.divergence, error))
        out.error = error;
    return out;
}

}  // namespace keel::replay
