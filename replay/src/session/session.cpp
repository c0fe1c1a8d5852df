#include "keel/replay/session/session.hpp"

#include "keel/replay/replay/recovery.hpp"

namespace keel::replay {
namespace {

// What the restart did, in the report's words.
void report_restart(const Restart& restart, SessionReport& r) {
    r.restarted = true;
    r.restart_inputs = restart.inputs();
    r.restart_in_doubt_replies = restart.in_doubt_replies();
    r.restart_unsent_dropped = restart.unsent_dropped();
    r.restart_reconciled = restart.reconciled();
    r.restart_torn_bytes = restart.torn_bytes_cut();
    r.restart_rederived_records = restart.rederived_records();
}

}  // namespace

std::optional<SessionReport> run_session(const engine::Config& config, std::atomic<bool>& stop,
                                         const SessionOptions& options, std::string& error) {
    SessionAssembly session(config, stop, options);
    if (!session.open_inputs(error) || !session.lock_journal(error) ||
        !session.build_stages(error))
        return std::nullopt;
    std::optional<Restart> restart;  // outlives the run: its logs are the stages'
    if (session.continues_journal()) {
        restart = continue_journal(session, error);
        if (!restart)
            return std::nullopt;
    } else if (!session.open_streams(error)) {
        return std::nullopt;
    }
    const bool resumed = restart && !restart->empty();
    const ResumePoint resume = resumed ? restart->resume_point() : ResumePoint{};
    if (!session.run(resumed ? &resume : nullptr, error))
        return std::nullopt;
    SessionReport report = session.report();
    if (resumed)
        report_restart(*restart, report);
    return report;
}

}  // namespace keel::replay
