#include "keel/adapters/notify/notify_outbox.hpp"

#include <pthread.h>

#include <algorithm>
#include <iostream>

#include "keel/assert.hpp"

namespace keel::adapters::notify {

// A target: its settings, its parsed URL and its queue.
struct NotifyOutbox::Target {
    NotifyTarget config;
    ParsedUrl url;
    TargetOutbox outbox;
};

namespace {

// Events taken from the tap per pump, and the longest the thread sleeps when idle: the tap
// has no wake-up (the pipeline makes no syscall for it), so the outbox looks every few ms.
constexpr std::size_t kPumpBatch = 256;
constexpr std::uint64_t kIdlePollMs = 10;

void log_line(const std::string& line) {
    std::cerr << "keel: notify: " << line << std::endl;
}

// How a target is named in logs: its index and service, never its URL (a secret).
std::string target_name(std::size_t index, const NotifyTarget& t) {
    return "notify[" + std::to_string(index) + "] (" + std::string(to_string(t.service)) + ")";
}

}  // namespace

bool settles(const engine::AuditPayload& a) noexcept {
    if (a.endpoint != engine::ApiEndpoint::notify)
        return false;
    if (a.code == engine::ApiCode::ok)
        return true;
    const unsigned s = a.status;
    return a.code == engine::ApiCode::notify_failed && s >= 400 && s < 500 && s != 408 && s != 429;
}

NotifyOutbox::NotifyOutbox(NotifyOptions options, NotifyDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)), t0_(std::chrono::steady_clock::now()) {
    if (!deps_.poster)
        deps_.poster = post_json;
    for (const NotifyTarget& c : options_.targets) {
        std::optional<ParsedUrl> url = parse_url(c.url);
        KEEL_ASSERT(url.has_value(), "a notify target's url is checked when the config is read");
        targets_.push_back(
            std::make_unique<Target>(Target{c, *url, TargetOutbox(c.outbox_capacity, c.backoff)}));
    }
}

NotifyOutbox::~NotifyOutbox() {
    stop();
}

std::size_t NotifyOutbox::recover(const std::vector<engine::Event>& journaled) {
    // What each target already had: its newest settled notification (a target's are sent in
    // sequence order, so everything up to it is settled too).
    std::vector<std::uint64_t> settled(targets_.size(), 0);
    for (const engine::Event& e : journaled) {
        if (e.header.type != engine::EventType::audit || !settles(e.payload.audit))
            continue;
        const std::size_t k = e.payload.audit.flags;
        if (k < settled.size())
            settled[k] = std::max(settled[k], e.payload.audit.request_key);  // a notify_key
    }
    std::size_t queued = 0;
    for (const engine::Event& e : journaled) {
        if (!notify_kind(e))
            continue;
        const Notification n = describe(e, deps_.names);
        for (std::size_t k = 0; k < targets_.size(); ++k) {
            if (n.key > settled[k] && targets_[k]->config.wants(n)) {
                queued += targets_[k]->outbox.offer(n) ? 1 : 0;
            }
        }
        last_seq_ = std::max(last_seq_, e.header.seq);
    }
    update_queued();
    return queued;
}

void NotifyOutbox::start() {
    thread_ = std::thread([this] { run(); });
    (void)pthread_setname_np(thread_.native_handle(), "keel-notify");
}

void NotifyOutbox::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

std::uint64_t NotifyOutbox::now_ms() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - t0_)
                                          .count());
}

bool NotifyOutbox::announce(Notification n, std::chrono::milliseconds bound) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!thread_.joinable() || stopping_)
        return false;
    announcing_.store(true, std::memory_order_relaxed);
    announced_.push_back(std::move(n));
    cv_.notify_all();
    const bool settled = cv_.wait_for(lock, bound, [this] {
        return stopping_ || (announced_.empty() && awaiting_ == 0);
    }) && !stopping_;
    // Given up: the message stays queued, but the hold applies again.
    awaiting_ = 0;
    announcing_.store(false, std::memory_order_relaxed);
    return settled;
}

std::chrono::milliseconds NotifyOutbox::stop_bound() const noexcept {
    std::chrono::milliseconds bound{0};
    for (const auto& t : targets_) {
        if (t->config.kinds[static_cast<std::size_t>(NotifyKind::session)])
            bound = std::max(bound, t->config.timeout);
    }
    return std::min(bound, kStopBoundMax);
}

// On the outbox thread: an announced message gets the newest event's sequence (everything a
// target is owed before it has a lower one, so its settling audit settles those too).
bool NotifyOutbox::take_announced() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (announced_.empty())
        return false;
    for (Notification& n : announced_) {
        n.seq = last_seq_;
        n.key = through_key(last_seq_);
        if (n.ts_ns == 0)
            n.ts_ns = last_ts_ns_;
        for (const auto& t : targets_) {
            if (!t->config.wants(n))
                continue;
            if (t->outbox.offer(n))
                ++awaiting_;
            else
                counters_.overflowed.fetch_add(1, std::memory_order_relaxed);
        }
    }
    announced_.clear();
    cv_.notify_all();
    return true;
}

void NotifyOutbox::run() {
    for (;;) {
        bool worked = pump();
        count_tap_drops();
        worked = take_announced() || worked;
        const bool held = deps_.hold != nullptr && deps_.hold->load(std::memory_order_relaxed) &&
                          !announcing_.load(std::memory_order_relaxed);
        const std::uint64_t now = now_ms();
        if (!held)
            worked = attempt_due(now) || worked;
        update_queued();
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_)
            return;
        if (!worked)
            cv_.wait_for(lock, std::chrono::milliseconds(held ? kIdlePollMs : idle_ms(now)),
                         [this] { return stopping_ || !announced_.empty(); });
    }
}

std::uint64_t NotifyOutbox::idle_ms(std::uint64_t now) const {
    std::uint64_t wait = kIdlePollMs;
    for (const auto& t : targets_) {
        if (t->outbox.depth() > 0 && t->outbox.next_attempt_ms() > now)
            wait = std::min(wait, t->outbox.next_attempt_ms() - now);
    }
    return std::max<std::uint64_t>(wait, 1);
}

bool NotifyOutbox::pump() {
    const std::size_t n = deps_.tap.drain(
        [this](const engine::Event& e) {
            last_seq_ = std::max(last_seq_, e.header.seq);
            last_ts_ns_ = std::max(last_ts_ns_, e.header.ts_ns);
            if (notify_kind(e))
                offer(describe(e, deps_.names));
        },
        kPumpBatch);
    return n > 0;
}

void NotifyOutbox::offer(const Notification& n) {
    for (const auto& t : targets_) {
        if (!t->config.wants(n))
            continue;
        if (!t->outbox.offer(n))
            counters_.overflowed.fetch_add(1, std::memory_order_relaxed);
    }
}

// Events the tap's ring had no room for: each target that wants their kind is told in its
// next summary (the kind is known; the level is not, so min_level is not applied).
void NotifyOutbox::count_tap_drops() {
    static constexpr std::pair<engine::EventType, NotifyKind> kDropKinds[] = {
        {engine::EventType::venue_fill, NotifyKind::fill},
        {engine::EventType::venue_reject, NotifyKind::rejected},
        {engine::EventType::order_denied, NotifyKind::rejected},
        {engine::EventType::venue_cancel, NotifyKind::cancel},
        {engine::EventType::command, NotifyKind::kill},
        {engine::EventType::risk_state, NotifyKind::breaker},
        {engine::EventType::feed_status, NotifyKind::feed},
        {engine::EventType::session_start, NotifyKind::session},
        {engine::EventType::day_closed, NotifyKind::daily_summary},
        {engine::EventType::venue_status, NotifyKind::venue},
    };
    for (const auto& [type, kind] : kDropKinds) {
        const std::uint64_t total = deps_.tap.dropped(type);
        std::uint64_t& seen = tap_dropped_seen_[static_cast<std::uint8_t>(type)];
        if (total == seen)
            continue;
        for (const auto& t : targets_) {
            if (t->config.kinds[static_cast<std::size_t>(kind)])
                t->outbox.lost(kind, total - seen, last_seq_, last_ts_ns_);
        }
        counters_.overflowed.fetch_add(total - seen, std::memory_order_relaxed);
        seen = total;
    }
}

bool NotifyOutbox::attempt_due(std::uint64_t now) {
    bool any = false;
    for (std::size_t k = 0; k < targets_.size(); ++k) {
        Target& t = *targets_[k];
        if (const Notification* n = t.outbox.due(now)) {
            // A copy: settle pops the head.
            attempt(k, t, Notification(*n), now);
            any = true;
        }
    }
    return any;
}

void NotifyOutbox::attempt(std::size_t index, Target& t, const Notification& n, std::uint64_t now) {
    const FormattedPost post =
        format_post(t.config.service, n, deps_.names.session, t.config.chat_id);
    const HttpResult r = deps_.poster(t.url, post.content_type, post.body, t.config.timeout);
    const std::uint32_t failures_before = t.outbox.failures();
    const RetryDecision d =
        t.outbox.settle(r.status, r.retry_after, r.body, std::max(now, now_ms()));
    engine::ApiCode code = engine::ApiCode::notify_failed;
    if (d.verdict == Verdict::delivered) {
        code = engine::ApiCode::ok;
        counters_.delivered.fetch_add(1, std::memory_order_relaxed);
        if (n.kind == NotifyKind::summary)
            counters_.summaries.fetch_add(1, std::memory_order_relaxed);
    } else if (d.rate_limited) {
        code = engine::ApiCode::rate_limited;
        counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
    } else if (d.verdict == Verdict::retry) {
        counters_.failed.fetch_add(1, std::memory_order_relaxed);
    } else {
        counters_.given_up.fetch_add(1, std::memory_order_relaxed);
    }
    journal_outcome(index, n, r.status, code);
    report(index, n, r, d, failures_before);
    if (n.awaited && d.verdict != Verdict::retry) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (awaiting_ > 0)
            --awaiting_;
        cv_.notify_all();
    }
}

void NotifyOutbox::journal_outcome(std::size_t index, const Notification& n, unsigned status,
                                   engine::ApiCode code) {
    engine::Event e = engine::make_event(engine::EventType::audit, engine::Source::control, 0, 0,
                                         engine::kNoSymbol);
    e.payload.audit.request_key = n.key;
    e.payload.audit.status = static_cast<std::uint16_t>(status);
    e.payload.audit.code = code;
    e.payload.audit.endpoint = engine::ApiEndpoint::notify;
    e.payload.audit.method = engine::HttpMethod::post;
    e.payload.audit.flags = static_cast<std::uint8_t>(index);
    if (!deps_.audits.submit(e))
        counters_.audits_dropped.fetch_add(1, std::memory_order_relaxed);
}

// Logs once per streak of failures (the first), and every give-up; never the URL or a body
// that could echo it.
void NotifyOutbox::report(std::size_t index, const Notification& n, const HttpResult& r,
                          const RetryDecision& d, std::uint32_t failures_before) {
    const std::string who = target_name(index, targets_[index]->config);
    const std::string what =
        r.status == 0 ? "no answer (" + r.error + ")" : "HTTP " + std::to_string(r.status);
    if (d.verdict == Verdict::give_up) {
        log_line(who + ": a " + std::string(to_string(n.kind)) + " notification (seq " +
                 std::to_string(n.seq) + ") refused for good with " + what + "; given up");
    } else if (d.verdict == Verdict::retry && !d.rate_limited && failures_before == 0) {
        log_line(who + ": not delivered, " + what + "; retrying with backoff");
    } else if (d.verdict == Verdict::delivered && failures_before > 0) {
        log_line(who + ": delivering again after " + std::to_string(failures_before) +
                 " failed attempts");
    }
}

void NotifyOutbox::update_queued() {
    std::uint64_t n = 0;
    for (const auto& t : targets_)
        n += t->outbox.depth();
    counters_.queued.store(n, std::memory_order_relaxed);
}

}  // namespace keel::adapters::notify
