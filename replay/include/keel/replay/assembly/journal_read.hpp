// Reading a journal back: the one iterator every reader goes through (JournalRecords), and
// what the layers above read with it (a stream's records for byte comparisons, a session's
// configuration and input events). Cold code: it allocates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/journal/cursor.hpp"
#include "keel/journal/status.hpp"

namespace keel::replay {

// The records of a journal's streams, merged in sequence order (for equal sequences: input,
// strategy, risk, gateway), from one sequence up to another. Every journal reader in keel
// (replay, restart recovery, export, the HTML report, journal dump and tail) reads through
// it, so how damage is met is decided here once: a record that fails its checks ends the
// read, and the bad-record callback is told which stream and where, once.
class JournalRecords {
  public:
    struct Range {
        std::vector<std::string> streams;  // empty: every stream the directory holds
        std::uint64_t from_seq = 0;
        std::uint64_t to_seq = UINT64_MAX;  // records after it are not read
    };
    // A record, valid during the call; false stops the read.
    using OnRecord = std::function<bool(const journal::RecordView&, const std::string& stream)>;
    using OnBad = std::function<void(const std::string& stream, const journal::ScanIssue&)>;
    enum class End {
        end,      // every stream is at its end (for now: a live journal may grow), or past to_seq
        bad,      // a record failed its checks; on_bad was called
        stopped,  // on_record returned false
    };

    // Not ok when the journal cannot be read at all (no streams, an unreadable directory).
    [[nodiscard]] journal::Status open(const std::filesystem::path& dir, Range range);
    // Reads on from where the last read ended (a follower calls it again as records arrive).
    End read(const OnRecord& on_record, const OnBad& on_bad);
    // After `end`: the streams that stopped at an incomplete record (being written, or torn).
    [[nodiscard]] std::vector<std::string> stopped_short() const { return reader_.stopped_short(); }

  private:
    journal::JournalReader reader_;
    std::uint64_t to_seq_ = UINT64_MAX;
    bool past_end_ = false;
};

// "FILE offset N: why", as every reader names a bad record.
[[nodiscard]] std::string describe_issue(const journal::ScanIssue& issue);

// One journal record as read back: header fields and payload bytes (for byte comparisons).
struct JournaledRecord {
    std::uint16_t type = 0;
    std::uint64_t seq = 0;
    std::int64_t ts_ns = 0;
    std::vector<unsigned char> bytes;
    bool operator==(const JournaledRecord&) const = default;
};
// What a reader does at a torn tail: refuse it (an error, as at any bad record), or take it
// as the stream's end (recovery, which reads a crashed journal before cutting anything).
enum class TornTail : std::uint8_t { refuse, is_end };
// The records of one stream with seq <= until, in order. False with error set ("STREAM: file
// offset N: why") at a record that fails its checks.
[[nodiscard]] bool read_records(const std::filesystem::path& dir, const std::string& stream,
                                std::vector<JournaledRecord>& out, std::string& error,
                                std::uint64_t until = UINT64_MAX, TornTail torn = TornTail::refuse);

// Journaled input events to re-run, in journal order, and what a session must know of them
// before it starts: their symbol definitions (the strategies bind to symbol ids) and how many
// are market data. Kept as the events are read (read_session), so a replay does not walk them
// again before it runs.
class JournaledInputs {
  public:
    // tail: the bytes journaled after the event in its record (pipeline/tail_arena.hpp).
    void push_back(const engine::Event& e, std::string_view tail = {});
    // The inputs with seq <= last, with their tails.
    [[nodiscard]] JournaledInputs up_to(std::uint64_t last) const;
    [[nodiscard]] const std::vector<engine::Event>& events() const noexcept { return events_; }
    // The tail journaled with events()[index], empty when it has none.
    [[nodiscard]] std::string_view tail_of(std::size_t index) const noexcept;
    [[nodiscard]] std::size_t tail_count() const noexcept { return tails_.size(); }
    [[nodiscard]] const std::vector<engine::Event>& symbol_defs() const noexcept {
        return symbol_defs_;
    }
    [[nodiscard]] std::uint64_t market_events() const noexcept { return market_events_; }
    // The gateway_records of each session_resume among them, in order: where the restarts
    // this session went through held the gateway's sends (GatewayStage::hold_sends_from).
    [[nodiscard]] const std::vector<std::uint64_t>& resume_holds() const noexcept {
        return resume_holds_;
    }
    [[nodiscard]] bool empty() const noexcept { return events_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return events_.size(); }

  private:
    std::vector<engine::Event> events_;
    std::vector<engine::Event> symbol_defs_;
    std::vector<std::uint64_t> resume_holds_;
    // The tails, by the index of their event in events_ (ascending): most inputs have none.
    std::vector<std::pair<std::size_t, std::string>> tails_;
    std::uint64_t market_events_ = 0;
};

// The journaled session: its configuration text (secrets masked, as recorded in session
// start) and its input events in sequence order.
struct JournaledSession {
    std::string config_text;
    JournaledInputs inputs;
};
// False with error set when the journal cannot be read (file and offset named) or does not
// begin with a session start.
[[nodiscard]] bool read_session(const std::filesystem::path& dir, JournaledSession& out,
                                std::string& error, TornTail torn = TornTail::refuse);

// The starting cash in a journaled config text, read as config validation reads it (a decimal
// string or an integer; the default paper account when absent). For readers of a journal that
// do not validate its config (export, report).
[[nodiscard]] engine::Money journaled_starting_cash(std::string_view config_text);

// metrics.equity_sampling in a journaled config text ("auto" when absent or not one of auto, bar,
// daily): how the session's accounts sampled equity.
[[nodiscard]] engine::EquitySampling journaled_equity_sampling(std::string_view config_text);

// The accounts of a journaled session, in index order (the index an order id carries,
// order_id.hpp): config `accounts` (each its name and starting_cash, falling back to
// account.starting_cash and then the default, as the loader does), or without it the one
// account "main" with journaled_starting_cash. Never empty. For the same readers.
struct JournaledAccount {
    std::string name;
    engine::Money starting_cash{};
};
[[nodiscard]] std::vector<JournaledAccount> journaled_accounts(std::string_view config_text);

// Several accounts' closed equity curves (Account::closed_curve) as one, as MergedEquity below
// merges them fed in time order. starting_cash and curves by account index.
[[nodiscard]] std::vector<engine::EquityPoint> merge_equity_curves(
    const std::vector<engine::Money>& starting_cash,
    const std::vector<std::vector<engine::EquityPoint>>& curves);

// Several accounts' equity samples as one curve, as the session report merges them
// (SessionReport::accounts): at each time any account sampled, the sum of every account's
// latest sampled equity (its starting cash before its first sample). Fed in journal order,
// where sample times do not go back. Keeps the merged curve when asked to.
class MergedEquity {
  public:
    MergedEquity(const std::vector<JournaledAccount>& accounts, bool keep_curve);
    void sample(std::size_t account, std::int64_t ts_ns, engine::Money equity);
    // Takes the last time's point; call once, after the last sample.
    void finish();

    [[nodiscard]] engine::Money starting_cash() const noexcept { return peak_start_; }
    [[nodiscard]] engine::Money max_drawdown() const noexcept { return max_drawdown_; }
    // The largest fall from a peak as a fraction of that peak, in billionths.
    [[nodiscard]] std::int64_t max_drawdown_ppb() const noexcept { return max_drawdown_ppb_; }
    [[nodiscard]] const std::vector<engine::EquityPoint>& curve() const noexcept { return curve_; }

  private:
    void take_point();

    std::vector<engine::Money> last_;
    engine::Money peak_start_{}, peak_{}, max_drawdown_{};
    std::int64_t max_drawdown_ppb_ = 0;
    std::optional<std::int64_t> pending_ts_ns_;
    bool keep_curve_;
    std::vector<engine::EquityPoint> curve_;
};

}  // namespace keel::replay
