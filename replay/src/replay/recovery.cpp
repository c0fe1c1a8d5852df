#include "keel/replay/replay/recovery.hpp"

#include <algorithm>
#include <cstring>

#include "keel/adapters/csv/csv_source.hpp"
#include "keel/engine/core/crash_point.hpp"
#include "keel/engine/pipeline/account_stages.hpp"
#include "keel/engine/pipeline/runner.hpp"
#include "keel/journal/reader.hpp"

namespace keel::replay {
namespace {

namespace fs = std::filesystem;

// Passes an event on to a stage (the fused chain of the rebuild).
class ToStage final : public engine::Emit {
  public:
    ToStage(engine::Stage& stage, engine::Emit& out) : stage_(stage), out_(out) {}
    void emit(const engine::Event& e) noexcept override { stage_.on_event(e, out_); }

  private:
    engine::Stage& stage_;
    engine::Emit& out_;
};

// Two replies are the same when everything but what ingest assigns (sequence, and a time
// raised to keep engine time monotonic) is equal.
bool same_reply(const engine::Event& a, const engine::Event& b) noexcept {
    return a.header.type == b.header.type && a.header.source == b.header.source &&
           a.header.symbol == b.header.symbol && a.header.aux == b.header.aux &&
           std::memcmp(&a.payload, &b.payload, sizeof a.payload) == 0;
}

}  // namespace

bool is_source_input(const engine::Event& e) noexcept {
    return e.header.source == engine::Source::feed || e.header.source == engine::Source::webhook ||
           e.header.source == engine::Source::control || e.header.source == engine::Source::clock;
}

bool is_reply_input(const engine::Event& e) noexcept {
    // Venue replies, and the denials and cancels the gateway posts (its own and risk's).
    return !is_source_input(e) && e.header.source != engine::Source::engine;
}

bool RecoveryLog::append(const engine::Event& event, const void* extra,
                         std::uint32_t extra_length) noexcept {
    if (next_ >= journaled_.size()) {
        // Derived now, never journaled before the crash: journal it as a live stage would,
        // once the rebuild has succeeded (attach); until then it is kept here.
        ++appended_;
        if (live_ != nullptr)
            return live_->append(event, extra, extra_length);
        std::vector<unsigned char> bytes(sizeof event + extra_length);
        std::memcpy(bytes.data(), &event, sizeof event);
        if (extra_length > 0)
            std::memcpy(bytes.data() + sizeof event, extra, extra_length);
        pending_.push_back(std::move(bytes));
        return true;
    }
    // Cold path (restart): allocation and a full comparison are fine here.
    const JournaledRecord& j = journaled_[next_++];
    const bool same =
        j.type == static_cast<std::uint16_t>(event.header.type) && j.seq == event.header.seq &&
        j.ts_ns == event.header.ts_ns && j.bytes.size() == sizeof event + extra_length &&
        std::memcmp(j.bytes.data(), &event, sizeof event) == 0 &&
        (extra_length == 0 || std::memcmp(j.bytes.data() + sizeof event, extra, extra_length) == 0);
    if (!same && !diverged_) {
        diverged_ = true;
        diverged_seq_ = j.seq;
        diverged_type_ = j.type;
        derived_type_ = static_cast<std::uint16_t>(event.header.type);
    }
    return true;
}

bool RecoveryLog::attach(engine::EventLog& live) noexcept {
    live_ = &live;
    for (const std::vector<unsigned char>& bytes : pending_) {
        engine::Event e;
        std::memcpy(&e, bytes.data(), sizeof e);
        if (!live.append(e, bytes.data() + sizeof e,
                         static_cast<std::uint32_t>(bytes.size() - sizeof e)))
            return false;
    }
    pending_.clear();
    return true;
}

std::string RecoveryLog::mismatch() const {
    const auto type_name = [](std::uint16_t t) {
        return std::string(engine::to_string(static_cast<engine::EventType>(t)));
    };
    if (diverged_) {
        return stream_ + " stream, sequence " + std::to_string(diverged_seq_) + " (a " +
               type_name(diverged_type_) + " record): the re-derived record (a " +
               type_name(derived_type_) + ") differs from the journaled one";
    }
    if (next_ < journaled_.size()) {
        return stream_ + " stream, sequence " + std::to_string(journaled_[next_].seq) + " (a " +
               type_name(journaled_[next_].type) +
               " record): journaled, but the re-derivation produced no such record";
    }
    return {};
}

std::optional<Restart> Restart::open(const fs::path& dir, std::string& error) {
    Restart r;
    // Every stream is checked before any is touched, and nothing is touched here at all: a
    // torn tail is read up to and cut only after the rebuild (cut_torn_tails), so a failure
    // anywhere in recovery leaves the journal exactly as it was.
    if (const auto damage = journal::journal_damage(dir)) {
        error = "refusing to start: corrupt journal: " + *damage;
        return std::nullopt;
    }
    JournaledSession session;
    std::string read_error;
    if (!read_session(dir, session, read_error, TornTail::is_end)) {
        // A crash before the session start was journaled leaves nothing to continue.
        journal::StreamScan scan;
        if (journal::scan_stream(dir, "input", scan, {}).ok() && scan.records == 0)
            return r;
        error = "cannot read the journal in " + dir.string() + ": " + read_error;
        return std::nullopt;
    }
    r.inputs_ = std::move(session.inputs);
    for (const char* stream : {"strategy", "risk", "gateway"}) {
        std::vector<JournaledRecord> records;
        if (!read_records(dir, stream, records, error, UINT64_MAX, TornTail::is_end))
            return std::nullopt;
        if (std::string_view(stream) == "gateway")
            r.gateway_records_ = records.size();
        r.derived_.emplace_back(stream, std::move(records));
    }
    return r;
}

bool Restart::check_session(std::uint64_t config_hash, std::uint64_t seed,
                            std::string& error) const {
    const engine::SessionStartPayload& s = inputs_.events().front().payload.session;
    if (s.config_hash != config_hash) {
        error = "the journal was written with another configuration (config hash " +
                std::to_string(s.config_hash) + " in its session_start, " +
                std::to_string(config_hash) +
                " given): restart with the same configuration, or use a new journal directory";
        return false;
    }
    if (s.seed != seed) {
        error = "the journal was written with seed " + std::to_string(s.seed) + ", not " +
                std::to_string(seed) + ": restart with the same seed";
        return false;
    }
    return true;
}

bool Restart::check_symbols(const engine::SymbolTable& symbols, std::string& error) const {
    for (const engine::Event& e : inputs_.symbol_defs()) {
        const auto& d = e.payload.symbol_def;
        const std::string_view name(d.name, strnlen(d.name, sizeof d.name));
        const auto id = symbols.find(name);
        if (!id || *id != e.header.symbol) {
            error = "the journal defines symbol " + std::string(name) + " as id " +
                    std::to_string(e.header.symbol) + ", the data files do not";
            return false;
        }
    }
    return true;
}

std::vector<JournaledRecord> Restart::take_derived(const std::string& stream) {
    for (auto& [name, records] : derived_) {
        if (name == stream)
            return std::move(records);
    }
    return {};
}

bool Restart::rebuild(engine::Stage& strategy, engine::Stage& risk, engine::Stage& gateway,
                      const std::vector<engine::GatewayStage*>& gateways,
                      const std::vector<RecoveryLog*>& logs, ReplyCapture& replies,
                      engine::SpscRing<engine::Event>& ring, std::string& error,
                      engine::TailArena* tails) {
    // Orders derived after the last record the gateway journaled were never sent (order_sent
    // is journaled before the venue sees an order): the gateway holds them, and refuses them
    // when the session_resume this restart journals reaches it; earlier restarts' holds come
    // back as they were.
    std::vector<std::uint64_t> holds = inputs_.resume_holds();
    holds.push_back(gateway_records_);
    for (engine::GatewayStage* g : gateways)
        g->hold_sends_from(holds);
    engine::NullEmit end;
    ToStage to_gateway(gateway, end);
    ToStage to_risk(risk, to_gateway);
    for (std::size_t i = 0; i < inputs_.events().size(); ++i) {
        const engine::Event& e = inputs_.events()[i];
        const std::string_view bytes = inputs_.tail_of(i);
        if (tails != nullptr && !bytes.empty())
            tails->store(e.header.seq, bytes);
        if (restore_)
            restore_(e, bytes);
        strategy.on_event(e, to_risk);
    }
    resume_.gateway_records = gateway_records_;
    // One session_resume refuses every account's unsent orders; with none anywhere there is
    // none, and every gateway drops the hold.
    std::size_t unsent = 0;
    for (const engine::GatewayStage* g : gateways)
        unsent += g->unsent_held();
    resume_.unsent = static_cast<std::uint32_t>(unsent);
    if (unsent == 0) {
        for (engine::GatewayStage* g : gateways)
            g->drop_hold_if_unused();
    }
    for (const RecoveryLog* log : logs) {
        rederived_ += log->appended();
        if (!log->matched()) {
            error = "refusing to continue: the journal diverges from its re-derivation at " +
                    log->mismatch();
            return false;
        }
    }
    // The journaled replies are a prefix of what the venue posted, and those the gateway
    // posted a prefix of its own: each producer's replies reach ingest in the order posted
    // (one FIFO each), but a venue on its own thread answers through its own queue, so the two
    // may interleave in the journal otherwise than they were posted here. With several
    // accounts each account's venue and gateway are producers of their own.
    std::vector<const engine::Event*> journaled[2 * engine::kMaxAccounts];
    const auto producer = [](const engine::Event& e) {
        const std::size_t account = std::min(engine::event_account(e), engine::kMaxAccounts - 1);
        return 2 * account + (e.header.source == engine::Source::venue ? 0 : 1);
    };
    for (const engine::Event& e : inputs_.events()) {
        if (is_reply_input(e) && !from_real_venue(e))
            journaled[producer(e)].push_back(&e);
    }
    // Why journaled reply e cannot be continued from: the rebuilt venue and gateway answered
    // otherwise (what).
    const auto diverged = [&error](const engine::Event& e, const std::string& what) {
        error = "refusing to continue: input sequence " + std::to_string(e.header.seq) + " (a " +
                std::string(engine::to_string(e.header.type)) +
                " reply) is not what the rebuilt venue and gateway answered (they answered " +
                what + ")";
        return false;
    };
    std::size_t matched[2 * engine::kMaxAccounts] = {};
    for (const engine::Event& p : replies.captured()) {
        const std::size_t from = producer(p);
        std::size_t& k = matched[from];
        if (k < journaled[from].size()) {
            const engine::Event& e = *journaled[from][k];
            if (!same_reply(e, p)) {
                return diverged(e, "a " + std::string(engine::to_string(p.header.type)) +
                                       " from " + std::string(engine::to_string(p.header.source)) +
                                       " for order " + std::to_string(p.payload.order.order_id) +
                                       ", the journal has order " +
                                       std::to_string(e.payload.order.order_id));
            }
            ++k;
            continue;
        }
        // Answered but never sequenced: an in-doubt order's outcome. They go to ingest ahead
        // of any new input, as they would have had the session not stopped.
        in_doubt_list_.push_back(p);
        if (!ring.try_push(p)) {
            error = "too many in-doubt replies for the reply ring";
            return false;
        }
        ++in_doubt_;
    }
    for (std::size_t from = 0; from < 2 * engine::kMaxAccounts; ++from) {
        if (matched[from] < journaled[from].size())
            return diverged(*journaled[from][matched[from]], "nothing more");
    }
    replies.go_live();
    return true;
}

bool Restart::from_real_venue(const engine::Event& e) const noexcept {
    if (e.header.source != engine::Source::venue)
        return false;
    if (e.header.type == engine::EventType::venue_status ||
        e.header.type == engine::EventType::venue_account)
        return true;  // only real venues report their connection and a broker's account
    const std::size_t account = engine::event_account(e);
    return account < real_.size() && real_[account];
}

bool Restart::skip_journaled(adapters::CsvSource& source, engine::TimerSchedule* timers,
                             std::string& error) const {
    // Ingest asks the schedule for due timers with each data event (symbol definitions
    // excepted) before sequencing it: asking again with the same events, in the same order,
    // fires the same timers, which are journaled already and are dropped here.
    std::uint64_t timers_journaled = 0;
    std::uint64_t timers_fired = 0;
    for (const engine::Event& e : inputs_.events()) {
        if (e.header.type == engine::EventType::timer) {
            ++timers_journaled;
            continue;
        }
        if (!is_source_input(e))
            continue;
        const engine::Event* next = source.peek();
        if (next == nullptr || next->header.type != e.header.type ||
            next->header.symbol != e.header.symbol) {
            error = "the data files do not give the journaled input sequence " +
                    std::to_string(e.header.seq) + " (" +
                    std::string(engine::to_string(e.header.type)) + ") at this point";
            return false;
        }
        if (timers != nullptr && next->header.type != engine::EventType::symbol_def) {
            while (timers->next_due(next->header.ts_ns))
                ++timers_fired;
        }
        source.skip(1);
    }
    // Timers journaled after the last data event were fired for the next one, which the crash
    // kept from being journaled: fire them again (dropped) for that same event.
    const engine::Event* next = source.peek();
    while (timers != nullptr && next != nullptr && timers_fired < timers_journaled &&
           timers->next_due(next->header.ts_ns))
        ++timers_fired;
    if (timers_fired != timers_journaled) {
        error = "the journal holds " + std::to_string(timers_journaled) +
                " timer events, the schedule gives " + std::to_string(timers_fired) +
                " for the same data";
        return false;
    }
    return true;
}

bool Restart::skip_journaled_timers(engine::TimerSchedule* timers, std::string& error) const {
    std::uint64_t timers_journaled = 0;
    std::uint64_t timers_fired = 0;
    std::int64_t last_timer_ts = 0;
    for (const engine::Event& e : inputs_.events()) {
        if (e.header.type == engine::EventType::timer) {
            ++timers_journaled;
            last_timer_ts = e.header.ts_ns;
            continue;
        }
        if (timers == nullptr || !is_source_input(e) ||
            e.header.type == engine::EventType::symbol_def)
            continue;
        // Ingest asked with the input's own time; the journal holds it raised to engine time
        // (a reply stamped later came first), which may make more timers due. The ones it fired
        // were journaled just before it, so no more than those are taken here: the rest come
        // due again at a later input, as they did live.
        timers->start(e.header.ts_ns);
        while (timers_fired < timers_journaled && timers->next_due(e.header.ts_ns))
            ++timers_fired;
    }
    // Timers journaled after the last input were fired for an input the crash kept from being
    // journaled; they are due by their own times.
    while (timers != nullptr && timers_fired < timers_journaled && timers->next_due(last_timer_ts))
        ++timers_fired;
    if (timers_fired != timers_journaled) {
        error = "the journal holds " + std::to_string(timers_journaled) +
                " timer events, the schedule gives " + std::to_string(timers_fired) +
                " for the same inputs";
        return false;
    }
    return true;
}

Reconciliation reconcile_open_orders(const std::vector<engine::OrderRecord>& engine_open,
                                     const std::vector<engine::VenueOpenOrder>& venue_open,
                                     std::int64_t ts_ns) {
    Reconciliation r;
    // The replies' cause: unsequenced (ingest numbers them), at ts_ns.
    const engine::Event now =
        engine::make_event(engine::EventType::none, engine::Source::engine, 0, ts_ns,
                           engine::kNoSymbol);
    std::size_t v = 0;
    for (const engine::OrderRecord& o : engine_open) {
        if (v < venue_open.size() && venue_open[v].order_id < o.order_id) {
            r.error = "the venue is working order " + std::to_string(venue_open[v].order_id) +
                      ", which the journal does not hold open";
            return r;
        }
        if (v < venue_open.size() && venue_open[v].order_id == o.order_id) {
            if (venue_open[v].filled.raw != o.filled.raw) {
                r.error = "order " + std::to_string(o.order_id) + ": the venue has filled " +
                          engine::decimal_string(venue_open[v].filled.raw) +
                          ", the journal " + engine::decimal_string(o.filled.raw);
                return r;
            }
            ++v;
            continue;
        }
        // Journaled as sent, unknown to the venue: it never got there. Closed in sequence, by
        // the cancel of that order (the same fields), answered as done.
        engine::Event e = engine::cancel_request(o, now, engine::Source::engine,
                                                 engine::Reason::venue_unknown_order);
        e.header.type = engine::EventType::venue_cancel;
        e.payload.order.status = engine::OrderStatus::canceled;
        r.replies.push_back(e);
    }
    if (v < venue_open.size()) {
        r.error = "the venue is working order " + std::to_string(venue_open[v].order_id) +
                  ", which the journal does not hold open";
    }
    return r;
}

bool Restart::reconcile(const engine::GatewayStage& gateway, const engine::Venue& venue,
                        std::size_t account, engine::SpscRing<engine::Event>& ring,
                        std::string& error) {
    const std::optional<std::vector<engine::VenueOpenOrder>> venue_open =
        venue.query_open_orders();
    if (!venue_open)
        return true;
    engine::OrderBook expected = gateway.orders();
    for (const engine::Event& e : in_doubt_list_) {
        if (engine::event_account(e) == account)
            (void)expected.apply(e);
    }
    const Reconciliation r = reconcile_open_orders(expected.open_orders(), *venue_open,
                                                   last_ts_ns());
    if (!r.error.empty()) {
        error = "refusing to continue: the venue's open orders differ from the journal's: " +
                r.error;
        return false;
    }
    for (const engine::Event& e : r.replies) {
        if (!ring.try_push(e)) {
            error = "too many reconciliation replies for the reply ring";
            return false;
        }
        ++reconciled_;
    }
    return true;
}

bool Restart::cut_torn_tails(const fs::path& dir, std::string& error) {
    for (const std::string& stream : journal::journal_streams(dir)) {
        journal::StreamScan scan;
        const journal::Status st = journal::recover_stream(dir, stream, scan);
        if (!st.ok()) {
            error = "refusing to continue the journal in " + dir.string() + ": stream " + stream +
                    ": " + std::string(st.what());
            return false;
        }
        if (scan.issue)
            torn_bytes_ += scan.issue->bytes;
    }
    return true;
}

bool Restart::attach(SessionAssembly& a, std::string& error) {
    for (std::size_t i = 1; i < kStreamCount; ++i) {
        if (!logs_[i - 1]->attach(a.stream_log(i))) {
            error = std::string("cannot journal the re-derived records of stream ") +
                    kStreams[i];
            return false;
        }
    }
    a.set_stage_logs(logs_[0].get(), logs_[1].get(), logs_[2].get());
    return true;
}

bool Restart::resume(SessionAssembly& a, std::string& error) {
    std::vector<bool> real;
    bool any_real = false;
    for (std::size_t k = 0; k < a.account_count(); ++k) {
        real.push_back(a.real_venue(k));
        any_real = any_real || real.back();
    }
    if (any_real) {
        set_real_venues([&a](const engine::Event& e, std::string_view tail) {
            a.restore_venues(e, tail);
        }, std::move(real));
    }
    for (std::size_t i = 1; i < kStreamCount; ++i)
        logs_.push_back(std::make_unique<RecoveryLog>(kStreams[i], take_derived(kStreams[i])));
    a.set_stage_logs(logs_[0].get(), logs_[1].get(), logs_[2].get());
    std::vector<RecoveryLog*> checked;
    for (const auto& l : logs_)
        checked.push_back(l.get());
    std::vector<engine::GatewayStage*> gateways;
    for (std::size_t k = 0; k < a.account_count(); ++k)
        gateways.push_back(&a.gateway(k));
    if (!rebuild(a.strategy(), a.risk_stage(), a.gateway_stage(), gateways, checked,
                 a.reply_capture(), a.reply_ring(), error, &a.tails()))
        return false;
    for (std::size_t k = 0; k < a.account_count(); ++k) {
        if (!reconcile(a.gateway(k), a.plain_venue(k), k, a.reply_ring(), error))
            return false;
    }
    return
           (a.csv() != nullptr ? skip_journaled(*a.csv(), a.timers(), error)
                               : skip_journaled_timers(a.timers(), error));
}

std::optional<Restart> continue_journal(SessionAssembly& a, std::string& error) {
    // Nothing on disk changes until the rebuild has succeeded: corruption is refused and the
    // journal read (up to any torn tail) first, the stages rebuilt and checked against it, and
    // only then are torn tails cut (kept in .torn) and the streams opened for writing.
    std::optional<Restart> restart = Restart::open(a.journal_dir(), error);
    if (!restart)
        return std::nullopt;
    if (!restart->empty() &&
        (!restart->check_session(engine::fnv1a64(a.config_text()), a.config().seed, error) ||
         !restart->check_symbols(a.symbols(), error)))
        return std::nullopt;
    if (restart->empty()) {
        // Nothing to continue: the session starts anew in this directory.
        if (!restart->cut_torn_tails(a.journal_dir(), error) || !a.open_streams(error))
            return std::nullopt;
        a.reply_capture().go_live();
        return restart;
    }
    if (!restart->resume(a, error))
        return std::nullopt;
    engine::crash_point(engine::CrashPoint::recovery_rederived);
    if (!restart->cut_torn_tails(a.journal_dir(), error) || !a.open_streams(error) ||
        !restart->attach(a, error))
        return std::nullopt;
    return restart;
}

}  // namespace keel::replay
