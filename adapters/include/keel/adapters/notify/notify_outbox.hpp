// NotifyOutbox: tells the trader on chat services what the session did. Its own thread
// ("keel-notify") drains a DerivedEventTap (engine/pipeline/derived_event_tap.hpp) that the
// last stage fills without ever waiting, turns the events the targets asked for into
// notifications (notification.hpp), queues them per target (target_outbox.hpp: bounded, an
// overflow summarised) and posts them (notify_format.hpp, http_client.hpp), honouring 429s
// and backing off on failures (retry_policy.hpp). A dead or slow service therefore costs the
// pipeline nothing.
//
// Every attempt's outcome is counted (counters(), /metrics) and journaled as an `audit` input
// (endpoint notify, request_key = the event's sequence, flags = the target's index, the HTTP
// status, code ok / rate_limited / notify_failed), so a restart knows what was delivered:
// recover() re-queues, from the journaled inputs, every notification a target has not had.
// A delivery whose audit the crash kept from the journal is sent again (at least once: an
// HTTP post cannot be taken back); a graceful stop holds new attempts from the pipeline's stop
// on so that every delivery's audit is journaled before the pipeline drains.
//
// The session-stop message is announced (announce) before the pipeline is told to stop: it is
// queued behind what each target is owed and the caller waits, at most stop_bound(), until
// every target has had it, so its delivery's audit is journaled like the others. It is made from
// the session's figures, not from a journaled event, so recover() never queues it again.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keel/adapters/input/input_port.hpp"
#include "keel/adapters/notify/http_client.hpp"
#include "keel/adapters/notify/notification.hpp"
#include "keel/adapters/notify/notify_format.hpp"
#include "keel/adapters/notify/retry_policy.hpp"
#include "keel/adapters/notify/target_outbox.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"

namespace keel::adapters::notify {

// One `notify` entry (config/README.md).
struct NotifyTarget {
    NotifyService service = NotifyService::webhook;
    std::string url;      // where to POST (Telegram: the sendMessage URL, token inside); secret
    std::string chat_id;  // Telegram only
    std::array<bool, kNotifyKinds> kinds{};  // the events it asked for (summary always)
    NotifyLevel min_level = NotifyLevel::info;
    std::size_t outbox_capacity = 1000;  // notifications waiting at most
    Backoff backoff;
    std::chrono::milliseconds timeout{10'000};  // one attempt: connect to answer
    [[nodiscard]] bool wants(const Notification& n) const noexcept {
        return kinds[static_cast<std::size_t>(n.kind)] && n.level >= min_level;
    }
};

struct NotifyOptions {
    std::vector<NotifyTarget> targets;
    std::size_t tap_capacity = 4096;  // the tap's ring (a power of two)
};

using Poster = std::function<HttpResult(const ParsedUrl& url, std::string_view content_type,
                                        std::string_view body, std::chrono::milliseconds timeout)>;

struct NotifyDeps {
    engine::DerivedEventTap& tap;  // the session's tap (notify_event_types)
    InputPort& audits;             // where delivery outcomes are journaled
    NotifyNames names;
    // While set (the pipeline told to stop), no new attempt starts but an announced message's.
    // May be null.
    const std::atomic<bool>* hold = nullptr;
    Poster poster;  // post_json when empty; tests give a fake
};

// What /metrics shows (relaxed counters: the outbox thread writes, any thread reads).
struct NotifyCounters {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> rate_limited{0};    // 429 answers
    std::atomic<std::uint64_t> failed{0};          // attempts with no answer or a 408 / 5xx
    std::atomic<std::uint64_t> given_up{0};        // refused for good (other 4xx)
    std::atomic<std::uint64_t> overflowed{0};      // not queued (outbox full): summarised instead
    std::atomic<std::uint64_t> summaries{0};       // summaries delivered
    std::atomic<std::uint64_t> audits_dropped{0};  // outcomes the input queue refused
    std::atomic<std::uint64_t> queued{0};          // waiting now, every target's
};

// Whether a notify audit settles its notification for restart recovery: delivered, or
// refused for good (a status the retry policy gives up on).
[[nodiscard]] bool settles(const engine::AuditPayload& audit) noexcept;

class NotifyOutbox {
  public:
    // options.targets' urls must parse (read_live_config checks them).
    NotifyOutbox(NotifyOptions options, NotifyDeps deps);
    ~NotifyOutbox();
    NotifyOutbox(const NotifyOutbox&) = delete;
    NotifyOutbox& operator=(const NotifyOutbox&) = delete;

    // Before start, for a continued journal: queues what each target was not yet told about
    // the journaled inputs (in order; the outbox's bound and summary apply). Returns how many.
    std::size_t recover(const std::vector<engine::Event>& journaled);
    void start();
    // Joins the thread; what is still queued stays undelivered (a restart re-queues it).
    void stop();
    // Any thread, while the outbox runs: queues n (describe_stop) for every target that wants
    // it, behind what the target is owed, and waits until each has delivered it or refused it
    // for good, or until bound. Attempts go on while it waits, even under the hold. True when
    // every target settled it (or none wants it).
    bool announce(Notification n, std::chrono::milliseconds bound);
    // How long a stop waits for its message: the longest `timeout_ms` of a target that wants
    // session messages, and never more than kStopBoundMax.
    [[nodiscard]] std::chrono::milliseconds stop_bound() const noexcept;
    static constexpr std::chrono::milliseconds kStopBoundMax{5000};

    [[nodiscard]] const NotifyCounters& counters() const noexcept { return counters_; }

  private:
    struct Target;
    void run();
    bool pump();  // drains the tap; true when it took any event
    bool take_announced();
    void offer(const Notification& n);
    void count_tap_drops();
    bool attempt_due(std::uint64_t now_ms);
    void attempt(std::size_t index, Target& t, const Notification& n, std::uint64_t now_ms);
    void journal_outcome(std::size_t index, const Notification& n, unsigned status,
                         engine::ApiCode code);
    void report(std::size_t index, const Notification& n, const HttpResult& r,
                const RetryDecision& d, std::uint32_t failures_before);
    void update_queued();
    [[nodiscard]] std::uint64_t now_ms() const;
    [[nodiscard]] std::uint64_t idle_ms(std::uint64_t now) const;

    NotifyOptions options_;
    NotifyDeps deps_;
    std::vector<std::unique_ptr<Target>> targets_;
    NotifyCounters counters_;
    std::array<std::uint64_t, 256> tap_dropped_seen_{};
    std::uint64_t last_seq_ = 0;  // newest event seen (tap drops are summarised up to it)
    std::int64_t last_ts_ns_ = 0;
    std::chrono::steady_clock::time_point t0_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<Notification> announced_;  // waiting for the thread to queue them
    std::size_t awaiting_ = 0;             // targets that have not settled an announced message yet
    // While an announce waits, the hold does not stop attempts.
    std::atomic<bool> announcing_{false};
    std::thread thread_;
};

}  // namespace keel::adapters::notify
