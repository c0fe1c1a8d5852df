// Restart recovery: what `keel run` does with a journal directory that already holds a
// session. Every piece of the restart logic lives here; continue_journal (below) takes the
// place of the assembly's open_streams step (assembly/assembly.hpp), run_session
// (session/session.hpp) calls it, and the stages know nothing about it.
//
// The sequence (README.md, "Restart"):
//  1. Recover: torn tails are cut (kept in .torn), corruption refuses; the configuration given
//     must hash to the journal's session_start config hash, with the same seed.
//  2. Rebuild: the journaled inputs (session_start included) run fused through fresh strategy,
//     risk and gateway stages, with the simulated venue connected. Each stage journals through
//     a RecoveryLog: while the journal has its records, the re-derived ones must equal them
//     byte for byte (else refuse, naming stream and sequence) and nothing is written; past the
//     end of that stream's journal (the crash came first) they are appended, as a live stage
//     would have. The venue sees the same submits and market data as before, so its resting
//     orders, books and PRNG come back as they were; its replies (and the gateway's own) are
//     captured, in FIFO order like the reply ring, and the first N, N = the replies already
//     journaled as inputs, must equal those. The rest are the in-doubt answers: replies to
//     orders that were sent but whose answer never got sequenced. They go to the reply ring
//     before any new input, so ingest sequences (journals) them first. Orders derived after
//     the gateway's last journaled record were never sent (order_sent is write-ahead): the
//     gateway holds them (GatewayStage::hold_sends_from), and the continued session's first
//     input, a session_resume, makes it refuse them (unsent_at_restart): never sent late.
//     Replay holds and refuses the same ones from that input.
//  2b. Reconcile: the venue's open-order query against the gateway's open orders after the
//     in-doubt replies (reconcile_open_orders), before any new order.
//  3. Continue: the CSV source skips the events already journaled (checked against them), the
//     timer schedule is advanced past the timers already journaled, and ingest continues at
//     the last sequence + 1 without a new session_start.
// The result is a journal that `keel replay --verify` re-derives byte for byte, and, because
// the venue is deterministic, the same fills, positions and cash as an uninterrupted session
// (unless the crash dropped an unsent order).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/timer_schedule.hpp"
#include "keel/replay/assembly/assembly.hpp"
#include "keel/replay/assembly/journal_read.hpp"

namespace keel::adapters {
class CsvSource;
}

namespace keel::replay {

// A derived stream's EventLog during and after recovery (see step 2 above).
class RecoveryLog final : public engine::EventLog {
  public:
    RecoveryLog(std::string stream, std::vector<JournaledRecord> journaled)
        : stream_(std::move(stream)), journaled_(std::move(journaled)) {}

    bool append(const engine::Event& event, const void* extra,
                std::uint32_t extra_length) noexcept override;
    // Once the rebuild has succeeded and the stream is open for writing: appends what was
    // derived past the journal's end (kept until now, so that a failed rebuild leaves the
    // journal as it was), and from then on passes every append to live. False when live
    // refuses one.
    [[nodiscard]] bool attach(engine::EventLog& live) noexcept;

    // Every journaled record was re-derived, and each one equal.
    [[nodiscard]] bool matched() const noexcept { return !diverged_ && next_ == journaled_.size(); }
    // Empty when matched(); else where and how the re-derivation left the journal.
    [[nodiscard]] std::string mismatch() const;
    [[nodiscard]] std::uint64_t appended() const noexcept { return appended_; }

  private:
    std::string stream_;
    std::vector<JournaledRecord> journaled_;
    engine::EventLog* live_ = nullptr;
    std::vector<std::vector<unsigned char>> pending_;  // derived past the end, before attach
    std::size_t next_ = 0;
    bool diverged_ = false;
    std::uint64_t diverged_seq_ = 0;
    std::uint16_t diverged_type_ = 0;  // the journaled record's type there, and the derived one's
    std::uint16_t derived_type_ = 0;
    std::uint64_t appended_ = 0;
};

// The open-order reconciliation of a restart: the engine's open orders (the gateway's book
// with the in-doubt replies applied) against the venue's answer to its open-order query.
struct Reconciliation {
    // An order the engine holds open that the venue does not know (its order_sent was
    // journaled, then lost before the venue took it): a venue_cancel input from the engine
    // (Reason::venue_unknown_order) closes it in every stage, journaled like any reply.
    std::vector<engine::Event> replies;
    // A difference a restart cannot resolve by itself (the venue works an order the journal
    // does not hold open, or has filled another quantity): refuse to continue, naming it.
    std::string error;
};
// Both lists ascending by order id. ts_ns stamps the replies.
[[nodiscard]] Reconciliation reconcile_open_orders(
    const std::vector<engine::OrderRecord>& engine_open,
    const std::vector<engine::VenueOpenOrder>& venue_open, std::int64_t ts_ns);

// A journal that a restart continues: recovered, read, and checked against the session about
// to continue it.
class Restart {
  public:
    // Checks every stream of dir (corruption is an error) and reads it up to any torn tail,
    // changing nothing on disk: the tails are cut only once the rebuild has succeeded.
    // nullopt with error set when it cannot; an empty input stream (a crash before the session
    // start was journaled) gives a Restart with no inputs, which continues nothing.
    [[nodiscard]] static std::optional<Restart> open(const std::filesystem::path& dir,
                                                     std::string& error);

    [[nodiscard]] bool empty() const noexcept { return inputs_.empty(); }
    // The config hash and seed given must be the journal's; the message names what differs.
    [[nodiscard]] bool check_session(std::uint64_t config_hash, std::uint64_t seed,
                                     std::string& error) const;
    // The journaled symbol definitions must name the same ids as the table the data made.
    [[nodiscard]] bool check_symbols(const engine::SymbolTable& symbols, std::string& error) const;
    // The journaled records of a derived stream ("strategy", "risk", "gateway"), moved out.
    [[nodiscard]] std::vector<JournaledRecord> take_derived(const std::string& stream);

    // Step 2: runs the journaled inputs through the stages (fused, in order). Each stage's log
    // must be a RecoveryLog and the venue's and gateway's reply sink `replies` (capturing).
    // Then checks the logs (false with error naming stream and sequence on a divergence) and
    // the captured replies against the journaled ones, and pushes the in-doubt rest onto ring.
    // tails: where the stages read input events' tails; each journaled tail is filed there
    // before its event runs (null: the stages read none).
    // risk and gateway are the stages the pipeline runs (one account's, or AccountStages);
    // gateways every account's gateway (they hold unsent orders apart).
    [[nodiscard]] bool rebuild(engine::Stage& strategy, engine::Stage& risk, engine::Stage& gateway,
                               const std::vector<engine::GatewayStage*>& gateways,
                               const std::vector<RecoveryLog*>& logs, ReplyCapture& replies,
                               engine::SpscRing<engine::Event>& ring, std::string& error,
                               engine::TailArena* tails = nullptr);
    // Real venues (FIX, brokers) among the accounts: their replies are inputs the rebuild
    // feeds back, not answers a rebuilt simulator gives again, so they are not compared; each
    // journaled input and its tail goes to `restore` first (their adapters rebuild their ids
    // and order state). real[k]: account k's venue is real. Before rebuild.
    void set_real_venues(std::function<void(const engine::Event&, std::string_view)> restore,
                         std::vector<bool> real) {
        restore_ = std::move(restore);
        real_ = std::move(real);
    }
    // Step 2b, before any new order: asks the venue for its open orders and reconciles them
    // with the gateway's book after the in-doubt replies (reconcile_open_orders). Pushes the
    // closing replies onto ring; false with error on a difference it cannot resolve. A venue
    // that cannot be asked is not checked. Once per account: `account` is the gateway's and
    // venue's (the in-doubt replies for its orders apply).
    [[nodiscard]] bool reconcile(const engine::GatewayStage& gateway, const engine::Venue& venue,
                                 std::size_t account, engine::SpscRing<engine::Event>& ring,
                                 std::string& error);

    // Step 3: skips the data events already journaled (checking each against its journaled
    // input) and advances timers past the ones journaled. timers may be null.
    // A live source (queue) has nothing to skip; only the timer schedule is advanced past the
    // timers already journaled, by asking it with the journaled inputs' times in order.
    [[nodiscard]] bool skip_journaled_timers(engine::TimerSchedule* timers,
                                             std::string& error) const;
    [[nodiscard]] bool skip_journaled(adapters::CsvSource& source, engine::TimerSchedule* timers,
                                      std::string& error) const;

    [[nodiscard]] std::uint64_t last_seq() const noexcept { return inputs_.events().back().header.seq; }
    [[nodiscard]] std::int64_t last_ts_ns() const noexcept { return inputs_.events().back().header.ts_ns; }
    [[nodiscard]] std::uint64_t inputs() const noexcept { return inputs_.size(); }
    // The journaled inputs, in order (a live session seeds its alert dedupe window from them).
    [[nodiscard]] const JournaledInputs& journaled_inputs() const noexcept { return inputs_; }
    // Where ingest continues: after the last journaled input, with this restart's
    // session_resume.
    [[nodiscard]] ResumePoint resume_point() const noexcept {
        return {last_seq(), last_ts_ns(), resume_, &inputs_};
    }
    [[nodiscard]] std::uint64_t in_doubt_replies() const noexcept { return in_doubt_; }
    // Orders the open-order query found the venue does not hold, closed (reconcile).
    [[nodiscard]] std::uint64_t reconciled() const noexcept { return reconciled_; }
    // Orders the re-derivation held because the gateway never journaled them as sent, and
    // the session_resume that makes the gateway refuse them (unsent 0: none to journal).
    [[nodiscard]] std::uint64_t unsent_dropped() const noexcept { return resume_.unsent; }
    [[nodiscard]] engine::SessionResumePayload resume() const noexcept { return resume_; }
    [[nodiscard]] std::uint64_t torn_bytes_cut() const noexcept { return torn_bytes_; }
    // Derived records the rebuild journaled: those of inputs the crash kept from being fully
    // processed (after the rebuild, the logs append everything, as live stages).
    [[nodiscard]] std::uint64_t rederived_records() const noexcept { return rederived_; }

  private:
    friend std::optional<Restart> continue_journal(SessionAssembly& assembly, std::string& error);
    Restart() = default;
    // Steps 2 to 3 on the assembly's stages, with RecoveryLogs in front of its stream logs
    // (which hold what they derive past the journal until attach). Writes nothing.
    [[nodiscard]] bool resume(SessionAssembly& assembly, std::string& error);
    // Cuts the torn tails (kept in .torn files) and removes never-written segment files.
    [[nodiscard]] bool cut_torn_tails(const std::filesystem::path& dir, std::string& error);
    // After open_streams: the RecoveryLogs write through to the assembly's stream logs.
    [[nodiscard]] bool attach(SessionAssembly& assembly, std::string& error);

    // Whether a journaled reply came from a real venue (set_real_venues): not compared.
    [[nodiscard]] bool from_real_venue(const engine::Event& e) const noexcept;

    JournaledInputs inputs_;
    std::function<void(const engine::Event&, std::string_view)> restore_;
    std::vector<bool> real_;
    std::vector<std::pair<std::string, std::vector<JournaledRecord>>> derived_;
    engine::SessionResumePayload resume_{};
    std::uint64_t gateway_records_ = 0;  // in the journal's gateway stream
    std::vector<engine::Event> in_doubt_list_;  // the in-doubt replies pushed by rebuild
    std::uint64_t reconciled_ = 0;
    std::uint64_t in_doubt_ = 0;
    std::uint64_t torn_bytes_ = 0;
    std::uint64_t rederived_ = 0;
    std::vector<std::unique_ptr<RecoveryLog>> logs_;  // strategy, risk, gateway; kept while it runs
};

// The restart of a session whose assembly continues a journal
// (SessionAssembly::continues_journal), in place of the assembly's open_streams step: recovers
// and reads the journal, checks it against the session, opens the streams, and (unless the
// journal holds no input yet: a crash before the session start) rebuilds the stages' state
// through RecoveryLogs, reconciles with the venue and skips what is journaled. The Restart
// returned must outlive the run (its logs are the stages'); nullopt with error set refuses to
// start.
[[nodiscard]] std::optional<Restart> continue_journal(SessionAssembly& assembly, std::string& error);

// True for inputs that came back through the reply ring (venue replies, the denials and
// cancels the gateway posts for itself and for risk) rather than from the data source or
// ingest (session start, timers).
[[nodiscard]] bool is_reply_input(const engine::Event& e) noexcept;
// True for inputs the data source made (symbol definitions, market data, alerts, commands).
[[nodiscard]] bool is_source_input(const engine::Event& e) noexcept;

}  // namespace keel::replay
