#include "keel/engine/pipeline/runner.hpp"

#include <pthread.h>
#include <sched.h>

#include <bit>
#include <chrono>
#include <cstring>
#include <thread>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/pipeline/emit_buffer.hpp"

namespace keel::engine {
namespace {

std::uint64_t now_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

void ReplyRing::post(const Event& event) noexcept {
    if (ring_.try_push(event))
        return;
    full_waits_.add();
    // Yield rather than back off into sleeps: this runs on a hot thread, and with the ring
    // sized by Runner::reply_capacity_for it only waits for ingest to pop.
    IdleStrategy idle(IdleKind::yield);
    while (!ring_.try_push(event))
        idle.idle(0);
}

// One thread's duty cycle over its stages [first, last].
class Runner::Agent {
  public:
    Agent(Runner& runner, const ThreadSpec& spec, SpscRing<Event>* in, SpscRing<Event>* out)
        : runner_(runner),
          spec_(spec),
          in_(in),
          out_(out),
          idle_(spec.idle),
          buffers_(spec.last_stage - spec.first_stage + 1) {
        for (std::size_t k = spec.first_stage; k <= spec.last_stage; ++k) {
            if (runner_.stages_[k] != nullptr)
                buffers_[k - spec.first_stage].set_limit(runner_.stages_[k]->emit_budget());
        }
    }

    void start(std::atomic<int>& gate) {
        thread_ = std::thread([this, &gate] { body(gate); });
        // Named for top -H, perf and strace -f (at most 15 characters).
        const std::string name = ("keel-" + spec_.name).substr(0, 15);
        (void)pthread_setname_np(thread_.native_handle(), name.c_str());
    }
    std::string pin() {
        if (!spec_.cpu)
            return {};
        cpu_set_t set;
        CPU_ZERO(&set);
        const int cpu = *spec_.cpu;
        if (cpu < 0 || cpu >= CPU_SETSIZE) {
            return "thread '" + spec_.name + "': CPU " + std::to_string(cpu) + " does not exist";
        }
        CPU_SET(cpu, &set);
        const int rc = pthread_setaffinity_np(thread_.native_handle(), sizeof(set), &set);
        if (rc != 0) {
            return "thread '" + spec_.name + "': cannot pin to CPU " + std::to_string(cpu) + ": " +
                   std::strerror(rc) + " (CPUs available: " + describe_cpus(available_cpus()) + ")";
        }
        return {};
    }
    void join() {
        if (thread_.joinable())
            thread_.join();
    }

  private:
    static constexpr int kGateWait = 0;
    static constexpr int kGateGo = 1;

    void body(std::atomic<int>& gate) {
        int g;
        while ((g = gate.load(std::memory_order_acquire)) == kGateWait)
            std::this_thread::yield();
        if (g != kGateGo)
            return;  // aborted before start (e.g. pinning failed)
        for (std::size_t k = spec_.first_stage; k <= spec_.last_stage; ++k) {
            if (k > 0)
                runner_.stages_[k]->on_start();
        }
        // The gateway's thread ends each batch that did work with the batch-end call (a
        // parked venue adapter is woken there, once per batch).
        BatchEnd* batch_end =
            spec_.last_stage + 1 == runner_.stages_.size() ? runner_.batch_end_ : nullptr;
        {
            HotScope hot;
            while (!finished_) {
                const int work = do_work();
                if (work > 0 && batch_end != nullptr)
                    batch_end->end_batch();
                idle_.idle(work);
            }
        }
    }

    int do_work() noexcept {
        if (in_ == nullptr) {
            // The ingest thread: one sequenced event at a time, so ingest's service time is
            // measured per event like every other stage's.
            int work = 0;
            for (std::size_t i = 0; i < kBatch && !finished_; ++i) {
                EmitBuffer& buf = buffers_[0];
                const bool timed = sampled();
                const std::uint64_t t0 = timed ? now_ns() : 0;
                const int n = runner_.ingest_.step(buf);
                const std::uint64_t t1 = timed ? now_ns() : 0;
                if (n == 0)
                    break;
                ++work;
                StageMetrics& m = *runner_.metrics_[0];
                // A step that sequenced an input: one event in, timed. A control event (flush,
                // snapshot, shutdown) is the runner's: neither counted nor timed.
                const bool sequenced = buf.size() > 0 && is_input(buf[0].header.type);
                if (sequenced) {
                    m.events_in.add();
                    if (timed)
                        m.service_ns.record(t1 - t0);
                }
                // Ingest emits one input or one control event per step (or nothing).
                dispatch(0, buf, !sequenced && buf.size() > 0);
            }
            return work;
        }
        const std::size_t n =
            in_->consume_batch([this](const Event& e) { deliver(spec_.first_stage, e); }, kBatch);
        runner_.metrics_[spec_.first_stage]->ring_high_water.set_max(in_->high_water());
        return static_cast<int>(n);
    }

    void deliver(std::size_t k, const Event& e) noexcept {
        StageMetrics& m = *runner_.metrics_[k];
        EmitBuffer& buf = buffers_[k - spec_.first_stage];
        // A stage's events in are what it saw: every sequenced input and every event an
        // upstream stage derived. Control events travel the same path but are the runner's
        // (a live session's state queries alone made strategy's 700 for 7 inputs): neither
        // counted nor timed, and handled off the per-event path.
        if (!is_control(e.header.type)) [[likely]] {
            m.events_in.add();
            if (sampled()) {
                const std::uint64_t t0 = now_ns();
                runner_.stages_[k]->on_event(e, buf);
                m.service_ns.record(now_ns() - t0);
            } else {
                runner_.stages_[k]->on_event(e, buf);
            }
            dispatch(k, buf, false);
            return;
        }
        runner_.stages_[k]->on_event(e, buf);
        // A stage must pass a control event on, last, or the run would hang (a swallowed
        // flush) or lose events (emitted after shutdown).
        KEEL_ASSERT(buf.size() > 0 && buf[buf.size() - 1].header.type == e.header.type &&
                        buf[buf.size() - 1].payload.control_token == e.payload.control_token,
                    "a stage must forward a control event, as its last emission");
        if (e.header.type == EventType::snapshot && runner_.snapshots_ != nullptr) {
            runner_.stages_[k]->write_snapshot(runner_.snapshots_->writable());
            if (k + 1 == runner_.stages_.size())
                runner_.snapshots_->publish(e.payload.control_token);
        }
        dispatch(k, buf, true);
        if (e.header.type == EventType::shutdown)
            runner_.stages_[k]->on_close();
    }

    // Service times are sampled, one call in kSampleEvery: reading the clock costs more than
    // most stages' work (41% of a replay when every call was timed, 4.6% at one call in 32),
    // and a regular sample describes the distribution as well on any session long enough to
    // matter.
    static constexpr std::uint64_t kSampleEvery = 128;
    [[nodiscard]] bool sampled() noexcept { return tick_++ % kSampleEvery == 0; }

    // control: buf holds a control event (a stage forwards one as its last emission, ingest
    // sends one alone), which events out leaves out as events in does.
    void dispatch(std::size_t k, EmitBuffer& buf, bool control) noexcept {
        StageMetrics& m = *runner_.metrics_[k];
        m.events_out.add(buf.size() - static_cast<std::size_t>(control));
        for (std::size_t i = 0; i < buf.size(); ++i) {
            const Event& e = buf[i];
            if (k < spec_.last_stage) {
                deliver(k + 1, e);
            } else {
                output(m, e);
            }
        }
        buf.clear();
    }

    void output(StageMetrics& m, const Event& e) noexcept {
        if (out_ != nullptr) {
            if (!out_->try_push(e)) {
                m.ring_full_waits.add();
                IdleStrategy wait(spec_.idle);
                while (!out_->try_push(e))
                    wait.idle(0);
            }
        } else {
            runner_.sink_.emit(e);
            // The flush marker has passed every stage: acknowledge it behind any replies the
            // venue posted while handling earlier events.
            if (e.header.type == EventType::flush)
                runner_.replies_.post(e);
        }
        if (e.header.type == EventType::shutdown)
            finished_ = true;
    }

    Runner& runner_;
    ThreadSpec spec_;
    SpscRing<Event>* in_;
    SpscRing<Event>* out_;
    IdleStrategy idle_;
    std::vector<EmitBuffer> buffers_;
    std::uint64_t tick_ = 0;  // calls seen, for sampling service times
    bool finished_ = false;
    std::thread thread_;
};

Runner::Runner(Ingest& ingest, std::vector<Stage*> downstream, ReplyRing& replies, Emit& sink,
               ThreadPlan plan, std::size_t venue_capacity, std::size_t fills_per_event)
    : ingest_(ingest), replies_(replies), sink_(sink), plan_(std::move(plan)) {
    KEEL_ASSERT(&ingest.replies() == &replies.ring(), "ingest must read the runner's reply ring");
    KEEL_ASSERT(
        replies.ring().capacity() >=
            reply_capacity_for(plan_, downstream.size() + 1, venue_capacity, fills_per_event),
        "reply ring smaller than Runner::reply_capacity_for: the reply path could deadlock");
    stages_.push_back(nullptr);
    for (Stage* s : downstream)
        stages_.push_back(s);
    for (std::size_t i = 0; i < stages_.size(); ++i) {
        metrics_.push_back(std::make_unique<StageMetrics>());
    }
    KEEL_ASSERT(!plan_.threads.empty(), "a thread plan needs at least one thread");
    KEEL_ASSERT(plan_.threads.front().first_stage == 0, "the first thread must run ingest");
    KEEL_ASSERT(plan_.threads.back().last_stage == stages_.size() - 1,
                "the last thread must run the last stage");
    rings_.resize(plan_.threads.size());
    for (std::size_t t = 0; t < plan_.threads.size(); ++t) {
        const ThreadSpec& spec = plan_.threads[t];
        KEEL_ASSERT(spec.first_stage <= spec.last_stage, "empty thread");
        if (t > 0) {
            KEEL_ASSERT(spec.first_stage == plan_.threads[t - 1].last_stage + 1,
                        "threads must cover the stages contiguously");
            rings_[t] = std::make_unique<SpscRing<Event>>(plan_.ring_capacity);
        }
    }
    for (std::size_t t = 0; t < plan_.threads.size(); ++t) {
        SpscRing<Event>* out = t + 1 < plan_.threads.size() ? rings_[t + 1].get() : nullptr;
        agents_.push_back(std::make_unique<Agent>(*this, plan_.threads[t], rings_[t].get(), out));
    }
}

Runner::~Runner() {
    for (auto& a : agents_)
        a->join();
}

std::size_t Runner::ring_depth(std::size_t stage) const noexcept {
    for (std::size_t t = 1; t < plan_.threads.size(); ++t) {
        if (plan_.threads[t].first_stage == stage && rings_[t])
            return rings_[t]->depth();
    }
    return 0;
}

std::string_view Runner::stage_name(std::size_t i) const noexcept {
    return i == 0 ? std::string_view("ingest") : stages_[i]->name();
}

std::string Runner::run() {
    KEEL_ASSERT(gate_.load() == 0, "a Runner runs once");
    std::string error;
    try {
        for (auto& a : agents_)
            a->start(gate_);
        for (auto& a : agents_) {
            error = a->pin();
            if (!error.empty())
                break;
        }
    } catch (...) {
        // Release the threads already started (they abort before touching a stage), then fail.
        gate_.store(2, std::memory_order_release);
        for (auto& a : agents_)
            a->join();
        throw;
    }
    gate_.store(error.empty() ? 1 : 2, std::memory_order_release);
    for (auto& a : agents_)
        a->join();
    return error;
}

std::size_t Runner::in_flight_bound(const ThreadPlan& plan, std::size_t stage_count,
                                    std::size_t accounts) noexcept {
    const std::size_t rings = plan.threads.empty() ? 0 : plan.threads.size() - 1;
    return rings * plan.ring_capacity + plan.threads.size() * kBatch +
           stage_count * kStageEmitBudget * accounts;
}

std::size_t Runner::reply_capacity_for(const ThreadPlan& plan, std::size_t stage_count,
                                       std::size_t venue_capacity,
                                       std::size_t fills_per_event,
                                       std::size_t accounts) noexcept {
    const std::size_t in_flight = in_flight_bound(plan, stage_count, accounts);
    const std::size_t needed =
        (2 * kMaxOrdersPerEvent * accounts + fills_per_event) * in_flight + venue_capacity + 1;
    return std::bit_ceil(needed);
}

std::size_t Runner::venue_request_capacity_for(const ThreadPlan& plan, std::size_t stage_count,
                                               std::size_t accounts) noexcept {
    return std::bit_ceil(in_flight_bound(plan, stage_count, accounts));
}

std::size_t Runner::venue_reply_capacity_for(const ThreadPlan& plan, std::size_t stage_count,
                                             std::size_t venue_capacity,
                                             std::size_t fills_per_event,
                                             std::size_t accounts) noexcept {
    const std::size_t per_request = fills_per_event > 2 ? fills_per_event : 2;
    return std::bit_ceil(
        reply_capacity_for(plan, stage_count, venue_capacity, fills_per_event, accounts) +
        per_request * venue_request_capacity_for(plan, stage_count, accounts));
}

ThreadPlan ThreadPlan::fused(std::size_t stage_count, IdleKind idle) {
    ThreadPlan plan;
    plan.threads.push_back(ThreadSpec{"fused", 0, stage_count - 1, std::nullopt, idle});
    return plan;
}

std::vector<int> available_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set))
            cpus.push_back(c);
    }
    return cpus;
}

std::string describe_cpus(const std::vector<int>& cpus) {
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(cpus[i]);
        if (j > i)
            out += '-' + std::to_string(cpus[j]);
        i = j + 1;
    }
    return out.empty() ? "none" : out;
}

std::string_view to_string(IdleKind k) noexcept {
    switch (k) {
        case IdleKind::busy_spin:
            return "busy_spin";
        case IdleKind::yield:
            return "yield";
        case IdleKind::backoff:
            return "backoff";
        case IdleKind::park:
            return "park";
    }
    return "unknown";
}

std::optional<IdleKind> parse_idle_kind(std::string_view s) noexcept {
    if (s == "busy_spin")
        return IdleKind::busy_spin;
    if (s == "yield")
        return IdleKind::yield;
    if (s == "backoff")
        return IdleKind::backoff;
    if (s == "park")
        return IdleKind::park;
    return std::nullopt;
}

}  // namespace keel::engine
