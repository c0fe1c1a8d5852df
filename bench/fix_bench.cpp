// fix_bench: the order-to-ack round trip over loopback FIX through keel (the gateway's
// order_sent handed to the venue seam -> the adapter thread -> FixVenue -> QuickFIX -> the FIX
// test venue -> back -> the venue_ack taken off ingest's reply queue) beside a bare QuickFIX
// initiator sending the same NewOrderSingle to an identical test venue, in one run, the two
// interleaved one round trip each. Reports p50 and p99 of both and their ratios (keel / bare:
// target 1.3 at p50, gate bound 2.0; p99 reported). Every round trip is checked (the ack names
// the order; the venues saw no duplicate, malformed or unknown order) and a failed check ends
// the run with exit status 1.
//
// The bare initiator is keel's FixEndpoint (adapters/fix/fix_session.hpp): QuickFIX's
// SocketInitiator polled on the calling thread, the same C++14 wrapper FixVenue sits on, so the
// wrapper's message conversion is in both paths and the ratio is what keel adds around it.
//
// Threads (2 CPUs): the benchmark thread (the gateway's and ingest's side of keel's path, and
// the whole bare initiator), keel's adapter thread (ThreadedVenue, idle "yield" as
// config/fix.json has it) and the venue thread (both test venues polled in turn). All three
// spin and call sched_yield() whenever a turn found nothing, so none starves the others.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <stdlib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "keel/adapters/fix/fix_codec.hpp"
#include "keel/adapters/fix/fix_session.hpp"
#include "keel/adapters/fix/fix_test_venue.hpp"
#include "keel/adapters/fix/fix_venue.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/orders/venue_id.hpp"
#include "seam_round_trip.hpp"

namespace {

namespace fix = keel::adapters::fix;
namespace fs = std::filesystem;

constexpr const char* kRoundTrips = "order_to_ack";
constexpr const char* kSymbol = "MSFT";
// Session id prefixes (the journal's, in keel): different ones give the two paths ClOrdIDs of
// the same length that never collide.
constexpr std::uint64_t kKeelPrefix = 0x2b1d4;
constexpr std::uint64_t kBarePrefix = 0x4c3e2;

using keel::bench::seam::Clock;
using keel::bench::seam::HopHistograms;
using keel::bench::seam::kGiveUpAfter;
using keel::bench::seam::limit_order;
using keel::bench::seam::stamp;
using keel::bench::seam::wall_ns;
using keel::bench::seam::yield_until;

// --- the venue side: two identical FIX test venues on one thread ---

// One acceptor serves one session (SenderCompID/TargetCompID pair) and each path needs its
// own: two identical test venues, polled in turn on one thread, so each path's messages wait
// for the same work on the other side.
class Venues {
  public:
    explicit Venues(const fs::path& dir) {
        keel_ = open(dir / "venue_keel", "KEEL");
        bare_ = open(dir / "venue_bare", "BARE");
    }
    ~Venues() { stop(); }
    Venues(const Venues&) = delete;
    Venues& operator=(const Venues&) = delete;

    void start() {
        thread_ = std::thread([this] { body(); });
    }
    void stop() {
        stop_.store(true, std::memory_order_release);
        if (thread_.joinable())
            thread_.join();
    }
    [[nodiscard]] bool ok() const { return keel_ != nullptr && bare_ != nullptr; }
    [[nodiscard]] int keel_port() const { return keel_->port(); }
    [[nodiscard]] int bare_port() const { return bare_->port(); }
    // After stop() only (the venues belong to their thread while it runs).
    [[nodiscard]] const fix::FixTestVenue& keel_venue() const { return *keel_; }
    [[nodiscard]] const fix::FixTestVenue& bare_venue() const { return *bare_; }
    [[nodiscard]] const std::string& error() const { return error_; }

  private:
    static std::unique_ptr<fix::FixTestVenue> open(const fs::path& store, const char* client) {
        fix::FixTestVenueOptions o;
        o.session.sender_comp_id = "VENUE";
        o.session.target_comp_id = client;
        o.session.store_dir = store.string();
        o.matching.mode = keel::adapters::MatchMode::ticks;
        keel::engine::SymbolTable symbols(2);
        (void)symbols.intern(kSymbol);
        auto venue = std::make_unique<fix::FixTestVenue>(o, std::move(symbols));
        std::string error;
        if (!venue->open(error) || !venue->poll(error)) {
            std::fprintf(stderr, "fix_bench: cannot open the test venue: %s\n", error.c_str());
            return nullptr;
        }
        return venue;
    }
    // A yielding spin, no sleep: `keel fix-venue` sleeps 50 us when idle, which would put up
    // to 50 us into every round trip of both paths.
    void body() {
        std::string error;
        while (!stop_.load(std::memory_order_acquire)) {
            keel_->poll(error);
            bare_->poll(error);
            if (!error.empty() && error_.empty())
                error_ = error;
            sched_yield();
        }
    }

    std::unique_ptr<fix::FixTestVenue> keel_;
    std::unique_ptr<fix::FixTestVenue> bare_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::string error_;  // the first error the venues reported (read after stop())
};

// --- keel's path ---

// The bare initiator's hops: send (encode, QuickFIX's send), wire (socket, venue, socket, as
// keel's), receive (QuickFIX's read and parse up to the handler).
enum BareHop : std::size_t {
    kBareSend = keel::bench::seam::kKeelHops,
    kBareWire,
    kBareReceive,
};
const std::vector<std::string> kBareHops = {"send", "wire+venue", "receive"};

// FixVenue on keel's side of the seam, with the options the session assembly gives a
// venue.type "fix" account (SessionAssembly::build_fix_venue). The ack's tail carries the
// venue's OrderID (37=V...).
using KeelPath = keel::bench::seam::VenuePath<fix::FixVenue>;

fix::FixVenueOptions keel_options(const fs::path& dir, int port) {
    fix::FixVenueOptions o;
    o.session.sender_comp_id = "KEEL";
    o.session.target_comp_id = "VENUE";
    o.session.port = port;
    o.session.reconnect_s = 1;
    o.session.store_dir = (dir / "keel").string();
    o.venue_id_prefix = kKeelPrefix;
    o.symbols = {kSymbol};
    o.order_capacity = keel::engine::GatewayStage::kDefaultOrderCapacity;
    return o;
}

// --- the bare initiator ---

// A QuickFIX initiator with nothing around it: the benchmark thread builds the NewOrderSingle
// with keel's codec (the same fields, the same bytes but for the ClOrdID's prefix), sends it
// and polls the session until the ExecutionReport for that ClOrdID comes back.
class BarePath final : private fix::FixHandler {
  public:
    BarePath(const fs::path& dir, int port) {
        fix::FixSessionSettings s;
        s.sender_comp_id = "BARE";
        s.target_comp_id = "VENUE";
        s.port = port;
        s.reconnect_s = 1;
        s.store_dir = (dir / "bare").string();
        std::string error;
        endpoint_ = fix::FixEndpoint::create(fix::FixEndpoint::Role::initiator, s, *this, error);
        if (!endpoint_)
            std::fprintf(stderr, "fix_bench: cannot open the bare initiator: %s\n", error.c_str());
    }
    ~BarePath() override {
        if (endpoint_)
            endpoint_->stop(true);
    }
    BarePath(const BarePath&) = delete;
    BarePath& operator=(const BarePath&) = delete;

    bool wait_logged_on() {
        return endpoint_ != nullptr && yield_until([this] {
                   std::string error;
                   endpoint_->poll(error);
                   return endpoint_->logged_on();
               });
    }

    // One order: built, sent, polled for until its ExecutionReport New; the ns, or 0 (with why).
    std::uint64_t order_to_ack(std::uint64_t seq, HopHistograms& hops, const char*& why) {
        const keel::engine::OrderPayload o = limit_order(seq);
        const std::string id(keel::engine::make_venue_id(kBarePrefix, o.order_id).view());
        const auto t0 = Clock::now();
        if (!send_and_wait(fix::encode_new_order(o, id, kSymbol, fix::utc_timestamp(wall_ns())), id,
                           '0')) {
            why = "bare: the order was not answered with an ExecutionReport New";
            return 0;
        }
        const auto t1 = Clock::now();
        hops.record(kBareSend, t0.time_since_epoch().count(), sent_);
        hops.record(kBareWire, sent_, poll_began_);
        hops.record(kBareReceive, poll_began_, received_);
        // Untimed: canceled, as keel's path cancels its order.
        const std::string cancel_id = id + "-1";
        if (!send_and_wait(
                fix::encode_cancel(o, cancel_id, id, kSymbol, fix::utc_timestamp(wall_ns())),
                cancel_id, '4')) {
            why = "bare: the cancel was not answered with an ExecutionReport Canceled";
            return 0;
        }
        return static_cast<std::uint64_t>((t1 - t0).count());
    }

    [[nodiscard]] std::uint64_t unexpected() const { return unexpected_; }

  private:
    bool send_and_wait(const fix::Encoded& enc, const std::string& id, char exec_type) {
        std::string error;
        if (!enc.ok() || !endpoint_->send(enc.message, error))
            return false;
        sent_ = stamp();
        awaited_ = &id;
        got_ = 0;
        const bool answered = yield_until([this] {
            std::string poll_error;
            poll_began_ = stamp();
            endpoint_->poll(poll_error);
            return got_ != 0;
        });
        awaited_ = nullptr;
        return answered && got_ == exec_type;
    }

    // FixHandler, on the benchmark thread (inside poll()).
    void on_logon() override {}
    void on_logout() override {}
    void on_app_message(const fix::FixMessage& m) override {
        const std::string* id = m.find(fix::tag::cl_ord_id);
        const std::string* exec_type = m.find(fix::tag::exec_type);
        if (m.msg_type != "8" || id == nullptr || exec_type == nullptr || exec_type->empty() ||
            awaited_ == nullptr || *id != *awaited_) {
            ++unexpected_;
            return;
        }
        got_ = (*exec_type)[0];
        received_ = stamp();
    }

    std::unique_ptr<fix::FixEndpoint> endpoint_;
    const std::string* awaited_ = nullptr;
    char got_ = 0;
    std::uint64_t unexpected_ = 0;
    std::int64_t sent_ = 0, poll_began_ = 0, received_ = 0;  // hop stamps
};

// --- the rig: built once, shared by every run of the benchmark ---

// A scratch directory for the FIX stores, removed at exit.
fs::path scratch_dir() {
    std::string dir = (fs::temp_directory_path() / "keel_fix_bench_XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
        std::perror("fix_bench: mkdtemp");
        std::exit(2);
    }
    return dir;
}

struct Rig {
    Rig() : dir(scratch_dir()), venues(dir) {
        if (!venues.ok())
            return;
        venues.start();
        keel =
            std::make_unique<KeelPath>(keel_options(dir, venues.keel_port()), "fix_bench", "37=V");
        bare = std::make_unique<BarePath>(dir, venues.bare_port());
        ready = keel->wait_ready() && bare->wait_logged_on();
        if (!ready)
            std::fprintf(stderr, "fix_bench: the FIX sessions did not log on within %lld s\n",
                         static_cast<long long>(kGiveUpAfter.count()));
    }
    ~Rig() {
        keel.reset();
        bare.reset();
        venues.stop();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    // What the venues and keel's adapter counted that a correct run never does; empty when
    // all is well. Stops the venue thread (call once, at the end).
    std::string problems() {
        venues.stop();
        std::string out;
        const auto check = [&out](bool bad, const char* what) {
            if (bad)
                out += std::string(out.empty() ? "" : "; ") + what;
        };
        for (const fix::FixTestVenue* v : {&venues.keel_venue(), &venues.bare_venue()}) {
            const fix::FixTestVenueCounters& c = v->counters();
            check(c.duplicate_cl_ord_ids != 0, "a venue saw a ClOrdID twice");
            check(c.unknown_orders != 0, "a venue saw a request for an unknown order");
            check(c.malformed != 0, "a venue saw a malformed message");
        }
        check(venues.keel_venue().counters().messages_in !=
                  venues.bare_venue().counters().messages_in,
              "the two venues did not see the same number of messages");
        if (keel) {
            const fix::FixVenueCounters& c = keel->venue().counters();
            check(c.malformed.load() + c.unknown_order.load() + c.duplicates.load() != 0,
                  "keel's adapter dropped a report (malformed, unknown order or duplicate)");
            check(c.refused_offline.load() != 0, "keel's adapter refused an order offline");
            check(keel->posted_before_start() != 0, "keel's adapter posted before start()");
        }
        check(bare && bare->unexpected() != 0, "the bare initiator got an unexpected message");
        check(!venues.error().empty(), "the venue thread reported an error");
        return out;
    }

    fs::path dir;
    Venues venues;
    std::unique_ptr<KeelPath> keel;
    std::unique_ptr<BarePath> bare;
    bool ready = false;
    keel::bench::seam::RoundTrips all{kBareHops};
};

// Built on the first run, torn down at the end of main (before QuickFIX's own statics go).
std::unique_ptr<Rig> g_rig;

void bm_order_to_ack(benchmark::State& state) {
    if (!g_rig)
        g_rig = std::make_unique<Rig>();
    Rig& rig = *g_rig;
    if (!rig.ready) {
        state.SkipWithError("the FIX sessions did not log on (stderr says why)");
        return;
    }
    keel::bench::seam::interleave(state, rig.all, *rig.keel, *rig.bare, [] {});
}

}  // namespace

int main(int argc, char** argv) {
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RegisterBenchmark(kRoundTrips, bm_order_to_ack)->UseRealTime();
    keel::bench::CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    int status = reporter.errors() > 0 ? 1 : 0;
    if (!g_rig)
        return status;  // filtered out
    const std::string problems = g_rig->problems();
    if (!problems.empty()) {
        std::fprintf(stderr, "fix_bench: %s\n", problems.c_str());
        status = 1;
    }
    std::FILE* out = console ? stdout : stderr;
    keel::bench::seam::print_round_trips(g_rig->all, "FIX", out);
    // Gated at 2x: catches a gross regression of keel's path around QuickFIX (the seam, the
    // adapter thread, FixVenue's bookkeeping); the 1.3x target is reported.
    const std::vector<keel::bench::RatioRow> rows =
        keel::bench::seam::ratio_rows(g_rig->all, "p50 order to ack: keel / bare QuickFIX",
                                      "p99 order to ack: keel / bare QuickFIX", 1.3, 2.0);
    keel::bench::print_ratio_table(reporter, rows, out, {}, keel::bench::Disturbance::voids_gate);
    g_rig.reset();
    return status;
}
