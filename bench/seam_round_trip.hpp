// Shared by the order-to-ack benchmarks of the remote venues (fix_bench, alpaca_bench): keel's
// side of the asynchronous venue seam as the gateway and ingest use it, with stamps at every
// hand-over, and the interleaved measurement of keel's path beside a bare client of the same
// counterparty.
//
// keel's path: the benchmark thread builds the gateway's order_sent and calls
// ThreadedVenue::submit() as the gateway stage does and VenueChannel::end_batch() as the runner
// does after the gateway's batch; the adapter thread (ThreadedVenue) hands it to the venue
// adapter; the adapter posts the venue_ack with its tail; the benchmark thread takes it off the
// channel as Ingest::take_venue_reply does (the event and its tail copied out, then popped).
// Each order is canceled after its ack (untimed), so the counterparty's book and the adapter's
// order mirror stay empty.
#pragma once

#include <benchmark/benchmark.h>
#include <sched.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/pipeline/latency_histogram.hpp"
#include "keel/engine/pipeline/venue_channel.hpp"

namespace keel::bench::seam {

using Clock = std::chrono::steady_clock;
using engine::Event;
using engine::EventType;
using engine::LatencyHistogram;

// A hang guard, not a timing check: a round trip takes tens of microseconds when it works.
inline constexpr auto kGiveUpAfter = std::chrono::seconds(10);
// A round trip this long was held up by another process: about 15 times the work, and about
// one time slice of the scheduler. When more than 10% of a run's round trips were (the
// reporter's 90%, kUndisturbedShare), the run is disturbed and its ratios are VOID.
inline constexpr std::uint64_t kStallNs = 1'000'000;

inline std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t stamp() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

// Calls turn() until it returns true, yielding the CPU after every turn that found nothing
// (the idle strategy "yield": hot, yet the other threads get a CPU on this 2-CPU machine).
// False after kGiveUpAfter.
template <class Turn>
bool yield_until(Turn&& turn) {
    const auto give_up = Clock::now() + kGiveUpAfter;
    for (std::uint32_t n = 1;; ++n) {
        if (turn())
            return true;
        if ((n & 1023u) == 0 && Clock::now() > give_up)
            return false;
        sched_yield();
    }
}

// A limit buy of 10 at 1, far below any price (the counterparties have no market data): it is
// acked and rests until its cancel. One order's fields, shared by both paths.
inline engine::OrderPayload limit_order(std::uint64_t seq) {
    engine::OrderPayload o{};
    o.order_id = engine::make_order_id(seq, 0);
    o.quantity = engine::Quantity::from_units(10);
    o.price = engine::Price::from_units(1);
    o.side = engine::Side::buy;
    o.order_type = engine::OrderType::limit;
    o.tif = engine::TimeInForce::day;
    o.action = engine::OrderAction::new_order;
    o.status = engine::OrderStatus::sent;
    return o;
}

// Where a round trip's time goes, one histogram per hop (steady-clock stamps at each): keel's
// five hops first, then the bare path's, which each binary names.
//   request hop (submit -> the adapter thread has it), send (the adapter's submit: ids, mirror,
//   encode, the bytes written), wire (socket, counterparty, socket, until the adapter's poll
//   that posts the reply begins), receive (that poll: read, parse, decode, map and post),
//   reply hop (posted -> ingest's side has it).
enum KeelHop : std::size_t { kRequestHop, kSend, kWire, kReceive, kReplyHop, kKeelHops };

class HopHistograms {
  public:
    // The names of the bare path's hops, numbered from kKeelHops on.
    explicit HopHistograms(std::vector<std::string> bare_hops) {
        names_ = {"keel request hop", "keel send", "keel wire+server", "keel receive",
                  "keel reply hop"};
        for (std::string& name : bare_hops)
            names_.push_back("bare " + std::move(name));
        for (std::size_t i = 0; i < names_.size(); ++i)
            h_.push_back(std::make_unique<LatencyHistogram>());
    }
    void record(std::size_t hop, std::int64_t from, std::int64_t to) {
        h_[hop]->record(to > from ? static_cast<std::uint64_t>(to - from) : 0);
    }
    [[nodiscard]] std::size_t size() const { return h_.size(); }
    [[nodiscard]] const std::string& name(std::size_t hop) const { return names_[hop]; }
    [[nodiscard]] const LatencyHistogram& at(std::size_t hop) const { return *h_[hop]; }

  private:
    std::vector<std::string> names_;
    std::vector<std::unique_ptr<LatencyHistogram>> h_;
};

class NoReplies final : public engine::ReplySink {
  public:
    void post(const Event&) noexcept override { ++posted; }
    std::uint64_t posted = 0;
};

// Stamps taken on keel's adapter thread; the benchmark thread reads them once the reply they
// precede has come through the reply queue (its push and pop order them).
struct AdapterStamps {
    std::atomic<std::int64_t> taken{0};       // submit() entered
    std::atomic<std::int64_t> sent{0};        // submit() returned: the request is written
    std::atomic<std::int64_t> poll_began{0};  // the poll that posted the reply began
    std::atomic<std::int64_t> posted{0};      // the reply was handed to the channel
};

// The adapter as its thread sees it, with a stamp around each call (a virtual call and a clock
// read each: tens of ns in a round trip of tens of us).
class StampedVenue final : public adapters::PolledVenue {
  public:
    StampedVenue(adapters::PolledVenue& inner, AdapterStamps& stamps)
        : inner_(inner), stamps_(stamps) {}
    void submit(const Event& order_sent) noexcept override {
        stamps_.taken.store(stamp(), std::memory_order_relaxed);
        poll_began = stamps_.taken.load(std::memory_order_relaxed);
        inner_.submit(order_sent);
        stamps_.sent.store(stamp(), std::memory_order_relaxed);
    }
    [[nodiscard]] bool sends_on_own_thread() const noexcept override { return true; }
    void on_thread_start() override { inner_.on_thread_start(); }
    bool poll() noexcept override {
        poll_began = stamp();
        return inner_.poll();
    }
    void on_thread_stop() noexcept override { inner_.on_thread_stop(); }
    std::int64_t poll_began = 0;  // adapter thread only

  private:
    adapters::PolledVenue& inner_;
    AdapterStamps& stamps_;
};

// The reply sink the adapter posts to: stamps, then hands the reply to the channel.
class StampedSink final : public adapters::TailReplySink {
  public:
    StampedSink(adapters::TailReplySink& inner, AdapterStamps& stamps)
        : inner_(inner), stamps_(stamps) {}
    void post(const Event& event) noexcept override { post(event, {}); }
    void post(const Event& event, std::string_view tail) noexcept override {
        stamps_.poll_began.store(venue != nullptr ? venue->poll_began : 0,
                                 std::memory_order_relaxed);
        stamps_.posted.store(stamp(), std::memory_order_relaxed);
        inner_.post(event, tail);
    }
    const StampedVenue* venue = nullptr;

  private:
    adapters::TailReplySink& inner_;
    AdapterStamps& stamps_;
};

// The ThreadedVenue options config/fix.json and config/alpaca.json run with: venue.idle
// "yield", live.time "wall"; orders as strings (not hot), no market data to the adapter.
inline adapters::ThreadedVenue::Options threaded_options() {
    adapters::ThreadedVenue::Options o;
    o.idle = engine::IdleKind::yield;
    o.park_ns = 100'000;  // as build_real_venue sets it (unused by yield)
    o.market_data = false;
    o.hot = false;
    o.wall_clock = true;
    return o;
}

// The gateway's and ingest's ends of the seam around one adapter on its ThreadedVenue. The
// owner builds the adapter on sink(), calls start(adapter), and stop() before the adapter goes.
class KeelSeam {
  public:
    KeelSeam()
        : channel_(1024, 1024),
          threaded_(channel_, before_start_, threaded_options()),
          sink_(threaded_.replies(), stamps_) {}
    ~KeelSeam() { stop(); }
    KeelSeam(const KeelSeam&) = delete;
    KeelSeam& operator=(const KeelSeam&) = delete;

    [[nodiscard]] adapters::TailReplySink& sink() { return sink_; }
    void start(adapters::PolledVenue& venue) {
        stamped_ = std::make_unique<StampedVenue>(venue, stamps_);
        sink_.venue = stamped_.get();
        threaded_.set_inner(static_cast<adapters::PolledVenue&>(*stamped_));
        threaded_.start();
        started_ = true;
    }
    void stop() {
        if (started_)
            threaded_.stop();
        started_ = false;
    }

    // Takes replies until the adapter posts venue_status ready (connected and reconciled).
    bool wait_ready() {
        return yield_until([this] {
            const std::optional<Event> r = take_reply();
            return r && r->header.type == EventType::venue_status &&
                   r->payload.venue_status.state == engine::VenueState::ready;
        });
    }

    // One order: handed to the seam, its venue_ack (whose tail holds ack_tail: the
    // counterparty's order id) taken off the reply queue. The ns between, or 0 (with why) when
    // anything else came back. The order_sent is built before the clock starts: the gateway
    // has journaled it by the time it calls submit(). Then, untimed, its cancel.
    std::uint64_t order_to_ack(std::uint64_t seq, std::string_view ack_tail, HopHistograms& hops,
                               const char*& why) {
        Event sent =
            engine::make_event(EventType::order_sent, engine::Source::gateway, seq, wall_ns(), 0);
        sent.payload.order = limit_order(seq);
        const auto t0 = Clock::now();
        threaded_.submit(sent);
        channel_.end_batch();
        const std::optional<Event> reply = next_reply();
        const auto t1 = Clock::now();
        if (!reply || reply->header.type != EventType::venue_ack ||
            reply->payload.order.order_id != sent.payload.order.order_id ||
            tail_.find(ack_tail) == std::string_view::npos) {
            why = "keel: the order was not answered with its venue_ack (with the venue's id)";
            return 0;
        }
        record_hops(t0.time_since_epoch().count(), t1.time_since_epoch().count(), hops);
        Event cancel = sent;
        cancel.header.seq = seq + 1;
        cancel.payload.order.action = engine::OrderAction::cancel;
        threaded_.submit(cancel);
        channel_.end_batch();
        const std::optional<Event> canceled = next_reply();
        if (!canceled || canceled->header.type != EventType::venue_cancel) {
            why = "keel: the cancel was not answered with a venue_cancel";
            return 0;
        }
        return static_cast<std::uint64_t>((t1 - t0).count());
    }

    [[nodiscard]] std::uint64_t posted_before_start() const { return before_start_.posted; }

  private:
    void record_hops(std::int64_t t0, std::int64_t t1, HopHistograms& hops) const {
        const std::int64_t taken = stamps_.taken.load(std::memory_order_relaxed);
        const std::int64_t sent = stamps_.sent.load(std::memory_order_relaxed);
        const std::int64_t poll_began = stamps_.poll_began.load(std::memory_order_relaxed);
        const std::int64_t posted = stamps_.posted.load(std::memory_order_relaxed);
        hops.record(kRequestHop, t0, taken);
        hops.record(kSend, taken, sent);
        hops.record(kWire, sent, poll_began);
        hops.record(kReceive, poll_began, posted);
        hops.record(kReplyHop, posted, t1);
    }
    // Ingest's side: the front reply, its event and tail copied out (ingest copies the tail
    // into its arena), then popped.
    std::optional<Event> take_reply() {
        const engine::VenueReply* r = channel_.front_reply();
        if (r == nullptr)
            return std::nullopt;
        const std::string_view tail = channel_.tail(*r);
        std::memcpy(tail_bytes_.data(), tail.data(), tail.size());
        tail_ = std::string_view(tail_bytes_.data(), tail.size());
        const Event e = r->event;
        channel_.pop_reply();
        return e;
    }
    // The next reply about an order: an account poll's venue_account (Alpaca's, every
    // account_poll_ms) is an input ingest sequences, not what a round trip waits for.
    std::optional<Event> next_reply() {
        std::optional<Event> reply;
        (void)yield_until([&] {
            reply = take_reply();
            return reply.has_value() && reply->header.type != EventType::venue_account;
        });
        return reply;
    }

    engine::VenueChannel channel_;
    NoReplies before_start_;
    adapters::ThreadedVenue threaded_;
    AdapterStamps stamps_;
    StampedSink sink_;
    std::unique_ptr<StampedVenue> stamped_;
    std::array<char, engine::kMaxTailBytes> tail_bytes_{};
    std::string_view tail_;
    bool started_ = false;
};

// keel's path through one venue adapter (FixVenue, AlpacaVenue): the seam above and the adapter,
// built from the options the session assembly would give it, logging to stderr under the
// benchmark's name. ack_tail: what the ack's tail must carry (the venue's order id). The
// adapter thread stops (and closes the session or stream) before the adapter goes.
template <class Venue>
class VenuePath {
  public:
    template <class Options>
    VenuePath(Options options, const char* bench, const char* ack_tail) : ack_tail_(ack_tail) {
        venue_ = std::make_unique<Venue>(
            std::move(options), seam_.sink(), [bench](std::string_view line) {
                std::fprintf(stderr, "%s: keel %.*s\n", bench, static_cast<int>(line.size()),
                             line.data());
            });
        seam_.start(*venue_);
    }
    ~VenuePath() { seam_.stop(); }
    VenuePath(const VenuePath&) = delete;
    VenuePath& operator=(const VenuePath&) = delete;

    bool wait_ready() { return seam_.wait_ready(); }
    std::uint64_t order_to_ack(std::uint64_t seq, HopHistograms& hops, const char*& why) {
        return seam_.order_to_ack(seq, ack_tail_, hops, why);
    }
    [[nodiscard]] const Venue& venue() const { return *venue_; }
    [[nodiscard]] std::uint64_t posted_before_start() const { return seam_.posted_before_start(); }

  private:
    KeelSeam seam_;
    std::unique_ptr<Venue> venue_;
    const char* ack_tail_;
};

// Every round trip of every run of both paths, for the ratio table, and the hops.
struct RoundTrips {
    explicit RoundTrips(std::vector<std::string> bare_hops) : hops(std::move(bare_hops)) {}
    std::unique_ptr<LatencyHistogram> keel = std::make_unique<LatencyHistogram>();
    std::unique_ptr<LatencyHistogram> bare = std::make_unique<LatencyHistogram>();
    HopHistograms hops;
    std::uint64_t next_seq = 1;
};

// One benchmark run: each iteration one round trip through keel and one through the bare
// path, in alternating order, so that a load that comes and goes moves both alike.
// keel.order_to_ack(seq, hops, why) and bare.order_to_ack(...) return the ns or 0 (with
// why); each uses seq and seq + 1 (the order and its cancel). before() runs first in every
// iteration (pacing).
template <class KeelPath, class BarePath, class Before>
void interleave(benchmark::State& state, RoundTrips& all, KeelPath& keel, BarePath& bare,
                Before&& before) {
    auto keel_h = std::make_unique<LatencyHistogram>();
    auto bare_h = std::make_unique<LatencyHistogram>();
    std::uint64_t i = 0;
    std::uint64_t stalled = 0;
    for (auto _ : state) {
        before();
        for (int k = 0; k < 2; ++k) {
            const bool keel_turn = ((i + static_cast<std::uint64_t>(k)) & 1u) == 0;
            const std::uint64_t seq = all.next_seq;
            all.next_seq += 2;
            const char* why = nullptr;
            const std::uint64_t ns = keel_turn ? keel.order_to_ack(seq, all.hops, why)
                                               : bare.order_to_ack(seq, all.hops, why);
            if (ns == 0) {
                state.SkipWithError(why);
                return;
            }
            (keel_turn ? *keel_h : *bare_h).record(ns);
            stalled += ns > kStallNs ? 1 : 0;
            (keel_turn ? *all.keel : *all.bare).record(ns);
        }
        ++i;
    }
    state.counters["keel_p50_ns"] = static_cast<double>(keel_h->value_at(0.50));
    state.counters["keel_p99_ns"] = static_cast<double>(keel_h->value_at(0.99));
    state.counters["bare_p50_ns"] = static_cast<double>(bare_h->value_at(0.50));
    state.counters["bare_p99_ns"] = static_cast<double>(bare_h->value_at(0.99));
    const double trips = static_cast<double>(keel_h->count() + bare_h->count());
    state.counters[kUndisturbedShare] =
        trips > 0 ? 1.0 - static_cast<double>(stalled) / trips : 1.0;
}

// The round trips' p50 and p99, and where each path's time goes (p50 and p99 of each hop; the
// hops' p50s need not add up to the round trip's).
inline void print_round_trips(const RoundTrips& all, const char* over_what, std::FILE* out) {
    const auto us = [](const LatencyHistogram& h, double q) {
        return static_cast<double>(h.value_at(q)) / 1e3;
    };
    const LatencyHistogram& k = *all.keel;
    const LatencyHistogram& b = *all.bare;
    std::fprintf(out,
                 "\norder to ack over loopback %s, %llu round trips each (all runs pooled)\n"
                 "  keel  p50 %8.1f us  p99 %8.1f us\n  bare  p50 %8.1f us  p99 %8.1f us\n",
                 over_what, static_cast<unsigned long long>(k.count()), us(k, 0.50), us(k, 0.99),
                 us(b, 0.50), us(b, 0.99));
    std::fprintf(out, "hops (us)            p50      p99\n");
    for (std::size_t i = 0; i < all.hops.size(); ++i) {
        std::fprintf(out, "  %-16s %7.1f  %7.1f\n", all.hops.name(i).c_str(),
                     us(all.hops.at(i), 0.50), us(all.hops.at(i), 0.99));
    }
}

// The p50 (gated: at most gate, target target) and p99 (reported) ratios keel / bare, under
// the labels bench/gate.py knows them by.
inline std::vector<RatioRow> ratio_rows(const RoundTrips& all, const char* p50_label,
                                        const char* p99_label, double target, double gate) {
    const auto over = [](std::uint64_t a, std::uint64_t b) {
        return a > 0 && b > 0 ? static_cast<double>(a) / static_cast<double>(b) : -1.0;
    };
    const LatencyHistogram& k = *all.keel;
    const LatencyHistogram& b = *all.bare;
    return {
        {p50_label, over(k.value_at(0.50), b.value_at(0.50)), Goal::at_most, target, gate},
        {p99_label, over(k.value_at(0.99), b.value_at(0.99)), Goal::none, 0, kNotGated},
    };
}

}  // namespace keel::bench::seam
