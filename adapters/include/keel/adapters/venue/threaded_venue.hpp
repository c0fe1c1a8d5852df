// ThreadedVenue: a venue adapter on its own thread, behind the asynchronous seam
// (engine/pipeline/venue_channel.hpp). The gateway's side is engine::Venue: submit and
// on_market_data push into the channel's request ring. The adapter's thread takes the
// requests, hands them to the inner venue (today the simulator, venue.threaded: true; FIX and
// broker adapters take its place), and the inner venue's replies go to the channel, where
// ingest sequences them.
//
// Before start() the inner venue is called directly on the caller's thread and posts to the
// sink given at construction: a restart re-runs the journal through the stages with the venue
// connected that way (cold), before any adapter thread exists. start() switches the replies to
// the channel and starts the thread; stop() ends and joins it. The thread waits as configured
// (venue.idle): busy_spin or yield keep it hot (the gateway never makes a syscall), park spins
// a little and then sleeps on the channel's futex until the gateway's end-of-batch wake.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/pipeline/idle_strategy.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/venue_channel.hpp"

namespace keel::adapters {

// Where a venue adapter on its own thread posts replies: each with its tail (a venue's order
// and execution ids, a reject's text), at most engine::kMaxTailBytes.
class TailReplySink : public engine::ReplySink {
  public:
    using engine::ReplySink::post;
    virtual void post(const engine::Event& event, std::string_view tail) noexcept = 0;

  protected:
    ~TailReplySink() = default;
};

// A venue with I/O of its own (a FIX session, a broker's API): the adapter thread polls it
// between requests. All three calls are on the adapter thread.
class PolledVenue : public engine::Venue {
  public:
    // Before the first poll (opens sessions and stores).
    virtual void on_thread_start() {}
    // One non-blocking turn of its I/O; true when it did anything (the thread does not idle).
    virtual bool poll() noexcept = 0;
    // As the thread stops.
    virtual void on_thread_stop() noexcept {}
};

class ThreadedVenue final : public engine::Venue {
  public:
    struct Options {
        engine::IdleKind idle = engine::IdleKind::park;
        // The longest a parked adapter sleeps before looking again (a protocol adapter polls
        // its sockets and timers then).
        std::int64_t park_ns = 1'000'000;
        // Whether market data and timers go to the adapter (a simulator matches on them; a
        // real venue has no use for them).
        bool market_data = true;
        // The inner venue never allocates once started (the simulator): its thread runs under
        // the hot-path allocation guard. A protocol adapter allocates and sets this false.
        bool hot = false;
        // live.time "wall": each reply is stamped with the wall clock as it is posted to
        // ingest (its receipt time), replacing the inner venue's; never while a restart re-runs
        // the journal (before start()), whose replies are compared, not sequenced anew.
        bool wall_clock = false;
    };

    // before_start: where the inner venue's replies go until start() (a restart's capture, or
    // the reply ring). Must outlive this.
    ThreadedVenue(engine::VenueChannel& channel, engine::ReplySink& before_start,
                  const Options& options);
    ~ThreadedVenue() override;
    ThreadedVenue(const ThreadedVenue&) = delete;
    ThreadedVenue& operator=(const ThreadedVenue&) = delete;

    // The sink to give the inner venue: before start() it forwards to before_start, after it
    // to the channel. Valid as long as this.
    [[nodiscard]] TailReplySink& replies() noexcept { return sink_; }
    // The venue the adapter thread drives. Cold, before start().
    void set_inner(engine::Venue& inner) noexcept { inner_ = &inner; }
    // The same, for a venue with I/O of its own: polled between requests.
    void set_inner(PolledVenue& inner) noexcept {
        inner_ = &inner;
        polled_ = &inner;
    }

    // Starts the adapter thread (cold, before the pipeline runs).
    void start();
    // Stops and joins it (after the pipeline has stopped). Idempotent.
    void stop() noexcept;

    // engine::Venue, on the gateway's thread.
    void submit(const engine::Event& order_sent) noexcept override;
    void on_market_data(const engine::Event& event) noexcept override;
    // Cold: only while the adapter thread is not running (a restart asks before start()).
    [[nodiscard]] std::optional<std::vector<engine::VenueOpenOrder>> query_open_orders()
        const override;
    [[nodiscard]] bool sends_on_own_thread() const noexcept override { return true; }

  private:
    class Sink final : public TailReplySink {
      public:
        Sink(engine::VenueChannel& channel, engine::ReplySink& before_start)
            : channel_(channel), before_start_(before_start) {}
        void post(const engine::Event& event) noexcept override { post(event, {}); }
        void post(const engine::Event& event, std::string_view tail) noexcept override {
            if (!live_) {
                before_start_.post(event);  // a restart's re-run: compared, tails not needed
            } else if (wall_clock_) {
                engine::Event stamped = event;
                stamped.header.ts_ns = wall_clock_ns();
                (void)channel_.post_reply(stamped, tail);
            } else {
                (void)channel_.post_reply(event, tail);  // false only once closed, at stop
            }
        }
        bool live_ = false;        // set before the adapter thread starts, read on it only
        bool wall_clock_ = false;  // Options::wall_clock

      private:
        engine::VenueChannel& channel_;
        engine::ReplySink& before_start_;
    };

    void body() noexcept;

    engine::VenueChannel& channel_;
    Options options_;
    Sink sink_;
    engine::Venue* inner_ = nullptr;
    PolledVenue* polled_ = nullptr;
    bool started_ = false;  // gateway side: set before the pipeline starts
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace keel::adapters
