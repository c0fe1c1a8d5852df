#include "keel/replay/ops/latency_harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <memory>

#include "keel/assert.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/pipeline/latency_histogram.hpp"
#include "keel/journal/writer_lock.hpp"
#include "keel/replay/session/session.hpp"

namespace keel::replay {
namespace {

// The generated market: a quote of 99.99 / 100.01 with a size no order here can exhaust.
const engine::Price kBid = engine::Price::from_units(100) - engine::Price{10'000'000};
const engine::Price kAsk = engine::Price::from_units(100) + engine::Price{10'000'000};
const engine::Quantity kQuoteSize = engine::Quantity::from_units(1'000'000);

Percentiles percentiles_of(const engine::LatencyHistogram& h) {
    Percentiles p;
    p.count = h.count();
    p.p50 = h.value_at(0.50);
    p.p90 = h.value_at(0.90);
    p.p99 = h.value_at(0.99);
    p.p999 = h.value_at(0.999);
    p.p9999 = h.value_at(0.9999);
    p.max = h.max();
    return p;
}

// A fresh directory under the system's temp directory.
std::optional<std::filesystem::path> make_temp_dir(std::string& error) {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) {
        error = "no temp directory: " + ec.message();
        return std::nullopt;
    }
    std::string pattern = (base / "keel-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        error = "cannot create a journal directory under " + base.string() + ": " +
                std::strerror(errno);
        return std::nullopt;
    }
    return std::filesystem::path(pattern);
}

}  // namespace

std::uint64_t steady_now_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

double LatencySummary::achieved_eps() const noexcept {
    if (complete == 0 || last_venue_ns <= first_intended_ns)
        return 0;
    return static_cast<double>(complete) * 1e9 /
           static_cast<double>(last_venue_ns - first_intended_ns);
}

LatencyBook::LatencyBook(std::uint64_t events)
    : events_(events), marks_(static_cast<std::size_t>(events) * kMarks, 0) {}

LatencySummary LatencyBook::summarize() const {
    LatencySummary s;
    auto e2e = std::make_unique<engine::LatencyHistogram>();
    std::array<std::unique_ptr<engine::LatencyHistogram>, kHops> hops;
    for (auto& h : hops)
        h = std::make_unique<engine::LatencyHistogram>();
    const auto diff = [](std::uint64_t from, std::uint64_t to) {
        return to > from ? to - from : 0;
    };
    for (std::uint64_t i = 0; i < events_; ++i) {
        const std::uint64_t intended = at(Mark::intended, i);
        const std::uint64_t venue = at(Mark::venue, i);
        if (i == 0)
            s.first_intended_ns = intended;
        if (intended != 0 && venue != 0) {
            e2e->record(diff(intended, venue));
            ++s.complete;
            s.last_venue_ns = std::max(s.last_venue_ns, venue);
        }
        for (std::size_t h = 0; h < kHops; ++h) {
            const std::uint64_t from = at(static_cast<Mark>(h), i);
            const std::uint64_t to = at(static_cast<Mark>(h + 1), i);
            if (from != 0 && to != 0)
                hops[h]->record(diff(from, to));
        }
    }
    s.end_to_end = percentiles_of(*e2e);
    for (std::size_t h = 0; h < kHops; ++h)
        s.hops[h] = percentiles_of(*hops[h]);
    return s;
}

OpenLoopSource::OpenLoopSource(LatencyBook& book, GeneratorOptions options)
    : book_(book), options_(std::move(options)) {
    KEEL_ASSERT(options_.events <= book_.events(), "more events than the book has slots");
    KEEL_ASSERT(options_.symbol_name.size() <= engine::kSymbolNameMax, "symbol name too long");
}

std::uint64_t OpenLoopSource::intended_ns(std::uint64_t i) const noexcept {
    // i < kMaxBenchEvents keeps i * 1e9 well inside 64 bits.
    return t0_ + i * 1'000'000'000ull / options_.rate_eps;
}

engine::Event OpenLoopSource::quote(std::int64_t ts_ns) const noexcept {
    engine::Event q = engine::make_event(engine::EventType::quote, engine::Source::feed, 0, ts_ns,
                                         options_.symbol);
    q.payload.quote.bid = kBid;
    q.payload.quote.bid_size = kQuoteSize;
    q.payload.quote.ask = kAsk;
    q.payload.quote.ask_size = kQuoteSize;
    return q;
}

engine::InputSource::Poll OpenLoopSource::poll(engine::Event& out) noexcept {
    switch (phase_) {
        case Phase::symbol_def: {
            out = engine::make_event(engine::EventType::symbol_def, engine::Source::feed, 0,
                                     options_.epoch_ns, options_.symbol);
            std::memcpy(out.payload.symbol_def.name, options_.symbol_name.data(),
                        options_.symbol_name.size());
            phase_ = Phase::first_quote;
            return Poll::event;
        }
        case Phase::first_quote:
            out = quote(options_.epoch_ns);
            phase_ = options_.events == 0 ? Phase::done : Phase::alert;
            return Poll::event;
        case Phase::alert: {
            const std::uint64_t now = options_.clock();
            if (next_ == 0)
                t0_ = now;
            std::uint64_t intended = now;
            if (options_.rate_eps > 0) {
                intended = intended_ns(next_);
                // Not due yet. When due or late it goes at once: lateness counts against it.
                if (now < intended)
                    return Poll::idle;
            }
            ts_ns_ = options_.epoch_ns + static_cast<std::int64_t>(intended - t0_);
            out = engine::make_event(engine::EventType::alert, engine::Source::webhook, 0, ts_ns_,
                                     options_.symbol);
            engine::AlertPayload& a = out.payload.alert;
            a.alert_key = next_ + 1;
            // buy from flat, then close: one order each, whatever allow_short says.
            a.action = next_ % 2 == 0 ? engine::AlertAction::buy : engine::AlertAction::close;
            a.quantity = engine::Quantity::from_units(kQuantityUnits);
            book_.stamp(Mark::intended, next_, intended);
            book_.stamp(Mark::ingest, next_, now);
            phase_ = Phase::quote;
            return Poll::event;
        }
        case Phase::quote:
            out = quote(ts_ns_);
            ++next_;
            phase_ = next_ == options_.events ? Phase::done : Phase::alert;
            return Poll::event;
        case Phase::done:
            return Poll::exhausted;
    }
    return Poll::exhausted;
}

void TimedStage::on_event(const engine::Event& event, engine::Emit& out) noexcept {
    if (event.header.type == engine::EventType::alert) {
        const std::uint64_t key = event.payload.alert.alert_key;
        cursor_.seq = event.header.seq;
        cursor_.index = key - 1;  // key 0 wraps to an index the book ignores
        awaiting_ = mark_ != Mark::strategy;
        if (mark_ == Mark::strategy)
            book_.stamp(mark_, cursor_.index, clock_());
    } else if (awaiting_ && event.header.type == engine::EventType::order_request &&
               event.header.seq == cursor_.seq) {
        book_.stamp(mark_, cursor_.index, clock_());
        awaiting_ = false;
    }
    inner_.on_event(event, out);
}

void TimedVenue::submit(const engine::Event& order_sent) noexcept {
    const engine::OrderPayload& o = order_sent.payload.order;
    if (o.action == engine::OrderAction::new_order && (o.order_id & engine::kRiskOrderIdBit) == 0) {
        const std::uint64_t seq = engine::order_id_seq(o.order_id);
        if (seq == gateway_.seq && seq != last_seq_) {
            book_.stamp(Mark::venue, gateway_.index, clock_());
            last_seq_ = seq;
        }
    }
    inner_.submit(order_sent);
}

namespace {

// The alert_follower strategy the generator's alerts go to, once the options are checked;
// nullptr with error set when the bench cannot run with this config and these options.
const engine::StrategyConfig* check_e2e(const engine::Config& config, const E2eOptions& options,
                                        std::string& error) {
    const engine::StrategyConfig* follower = nullptr;
    for (const engine::StrategyConfig& s : config.strategies) {
        if (s.type == "alert_follower" && !s.symbols.empty()) {
            follower = &s;
            break;
        }
    }
    if (follower == nullptr) {
        error =
            "the config has no alert_follower strategy: the generator sends alerts and needs "
            "one to turn them into orders (config/bench.json has one)";
        return nullptr;
    }
    if (config.accounts.size() != 1) {
        // One venue is timed (TimedVenue): the order-sent mark is that venue's.
        error = "keel bench e2e measures a session with one account; the config has " +
                std::to_string(config.accounts.size()) + " (accounts)";
        return nullptr;
    }
    if (options.events == 0 || options.events > kMaxBenchEvents) {
        error = "--events must be between 1 and " + std::to_string(kMaxBenchEvents);
        return nullptr;
    }
    if (!options.saturate && options.rate_eps == 0) {
        error = "--rate must be at least 1 event/s";
        return nullptr;
    }
    return follower;
}

// The bench's journal directory: the one given (which must be new or empty, and is kept), or
// a fresh one under the system's temp directory. nullopt with error set when neither can be.
std::optional<std::filesystem::path> e2e_journal_dir(const E2eOptions& options, bool& kept,
                                                     std::string& error) {
    if (options.journal_dir.empty())
        return make_temp_dir(error);
    if (!journal::fresh_journal_dir(options.journal_dir)) {
        error = "--journal " + options.journal_dir.string() +
                " is not empty: give a new or empty directory";
        return std::nullopt;
    }
    kept = true;
    return options.journal_dir;
}

// What the session and the book measured, into the result.
void record_session(E2eResult& r, const SessionReport& report, const engine::Config& config,
                    const LatencyBook& book) {
    r.latency = book.summarize();
    r.inputs_sequenced = report.events_sequenced;
    r.ring_full_waits = report.reply_ring_full_waits;
    for (const StageReport& st : report.stages)
        r.ring_full_waits += st.ring_full_waits;
    r.thread_plan = report.threads;
    for (const engine::ThreadSpec& t : config.plan.threads) {
        if (t.cpu && std::find(r.cpus_used.begin(), r.cpus_used.end(), *t.cpu) == r.cpus_used.end())
            r.cpus_used.push_back(*t.cpu);
    }
    std::sort(r.cpus_used.begin(), r.cpus_used.end());
    r.durability = report.journal_durability;
    r.journal_error = report.journal_error;
    r.elapsed_s = report.elapsed_s;
}

}  // namespace

std::optional<E2eResult> run_e2e_bench(const engine::Config& config, const E2eOptions& options,
                                       std::atomic<bool>& stop, std::string& error) {
    const engine::StrategyConfig* follower = check_e2e(config, options, error);
    if (follower == nullptr)
        return std::nullopt;

    E2eResult r;
    r.saturate = options.saturate;
    r.events = options.events;
    r.rate_eps = options.saturate ? 0 : options.rate_eps;
    r.symbol = follower->symbols.front();
    const std::optional<std::filesystem::path> journal_dir =
        e2e_journal_dir(options, r.journal_kept, error);
    if (!journal_dir)
        return std::nullopt;
    const std::filesystem::path dir = *journal_dir;
    // The temp journal goes whatever happens below.
    struct RemoveDir {
        std::filesystem::path dir;
        ~RemoveDir() {
            if (!dir.empty()) {
                std::error_code ec;
                std::filesystem::remove_all(dir, ec);
            }
        }
    } remove_dir{r.journal_kept ? std::filesystem::path() : dir};

    LatencyBook book(options.events);
    std::optional<OpenLoopSource> source;
    std::optional<TimedStage> timed[3];
    std::optional<TimedVenue> venue;
    const auto epoch_ns =
        static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());

    SessionOptions so;
    so.journal_dir = dir;
    so.input =
        GeneratedInput{[&](engine::SymbolTable& symbols, std::string& err) -> engine::InputSource* {
            const auto id = symbols.intern(r.symbol);
            if (!id) {
                err = "cannot define symbol '" + r.symbol + "'";
                return nullptr;
            }
            GeneratorOptions g;
            g.events = options.events;
            g.rate_eps = options.saturate ? 0 : options.rate_eps;
            g.symbol = *id;
            g.symbol_name = r.symbol;
            g.epoch_ns = epoch_ns;
            source.emplace(book, std::move(g));
            return &*source;
        }};
    constexpr Mark kStageMarks[] = {Mark::strategy, Mark::risk, Mark::gateway};
    AlertCursor cursors[3];
    so.wrap_stage = [&](std::size_t index, engine::Stage& stage) -> engine::Stage& {
        KEEL_ASSERT(index >= 1 && index <= 3, "three downstream stages");
        return timed[index - 1].emplace(stage, book, kStageMarks[index - 1], cursors[index - 1]);
    };
    so.wrap_venue = [&](engine::Venue& v) -> engine::Venue& {
        return venue.emplace(v, book, cursors[2]);
    };
    std::optional<SessionReport> report = run_session(config, stop, so, error);
    if (!report)
        return std::nullopt;

    record_session(r, *report, config, book);
    r.journal_dir = dir.string();
    r.host = probe_host();
    return r;
}

namespace {

engine::Json percentiles_json(const Percentiles& p) {
    engine::Json j = engine::Json::object();
    j["p50"] = p.p50;
    j["p90"] = p.p90;
    j["p99"] = p.p99;
    j["p999"] = p.p999;
    j["p9999"] = p.p9999;
    j["max"] = p.max;
    return j;
}

std::string used_cpus_text(const E2eResult& r) {
    return r.cpus_used.empty()
               ? "unpinned (any of cpu" + engine::describe_cpus(r.host.allowed_cpus) + ")"
               : "cpu" + engine::describe_cpus(r.cpus_used);
}

}  // namespace

std::string e2e_json(const E2eResult& r) {
    engine::Json j = engine::Json::object();
    j["mode"] = r.saturate ? "saturate" : "open_loop";
    j["events"] = r.events;
    j["rate_eps"] = r.rate_eps;
    j["achieved_eps"] = r.latency.achieved_eps();
    j["orders"] = r.latency.complete;
    j["inputs"] = r.inputs_sequenced;
    j["latency_ns"] = percentiles_json(r.latency.end_to_end);
    engine::Json hops = engine::Json::object();
    for (std::size_t h = 0; h < kHops; ++h)
        hops[kHopNames[h]] = percentiles_json(r.latency.hops[h]);
    j["hops"] = std::move(hops);
    j["ring_full_waits"] = r.ring_full_waits;
    j["thread_plan"] = r.thread_plan;
    j["journal"] = {{"durability", r.durability}, {"dir", r.journal_dir}, {"kept", r.journal_kept}};
    engine::Json host = engine::Json::object();
    host["cpu_model"] = r.host.cpu_model;
    host["cores"] = r.host.online_cpus.size();
    host["cpus_used"] = used_cpus_text(r);
    host["kernel"] = r.host.kernel;
    if (r.host.governors.empty())
        host["governor"] = nullptr;
    else
        host["governor"] = describe_governors(r.host);
    host["isolcpus"] = r.host.isolcpus;
    host["thp"] = r.host.thp;
    j["host"] = std::move(host);
    return j.dump(2) + "\n";
}

void print_e2e(std::ostream& out, const E2eResult& r) {
    const LatencySummary& l = r.latency;
    out << "keel bench e2e: " << (r.saturate ? "saturate (closed loop: no pacing)" : "open loop")
        << ", " << r.events << " events";
    if (!r.saturate)
        out << " at " << r.rate_eps << " events/s intended";
    out << "\n";
    out << "  inputs    each event is an alert for " << r.symbol
        << " (buy, then close, 1 unit) that causes exactly one market order; a quote follows "
           "each alert so the simulated venue fills it\n";
    out << "  achieved  " << std::fixed << std::setprecision(0) << l.achieved_eps() << " events/s; "
        << l.complete << " of " << r.events << " orders reached the venue; " << r.inputs_sequenced
        << " inputs sequenced in " << std::setprecision(2) << r.elapsed_s << " s; ring-full waits "
        << r.ring_full_waits << "\n";
    out << "  latency (ns)"
        << (r.saturate ? ", closed loop: from release to ingest"
                       : ", from each event's intended send time")
        << "\n";
    out << "    " << std::left << std::setw(22) << "" << std::right;
    for (const char* h : {"p50", "p90", "p99", "p99.9", "p99.99", "max"})
        out << std::setw(12) << h;
    out << "\n";
    const auto row = [&out](const std::string& name, const Percentiles& p) {
        out << "    " << std::left << std::setw(22) << name << std::right;
        for (const std::uint64_t v : {p.p50, p.p90, p.p99, p.p999, p.p9999, p.max})
            out << std::setw(12) << v;
        out << "\n";
    };
    row("end to end", l.end_to_end);
    constexpr const char* kHopLabels[kHops] = {"intended -> ingest", "ingest -> strategy",
                                               "strategy -> risk", "risk -> gateway",
                                               "gateway -> venue"};
    for (std::size_t h = 0; h < kHops; ++h)
        row(kHopLabels[h], l.hops[h]);
    out << "  threads   ";
    for (std::size_t i = 0; i < r.thread_plan.size(); ++i)
        out << (i > 0 ? "; " : "") << r.thread_plan[i];
    out << "\n";
    out << "  journal   " << r.durability << ", " << r.journal_dir
        << (r.journal_kept ? " (kept)" : " (removed)") << "\n";
    const HostFacts& h = r.host;
    out << "  host      " << h.cpu_model << "; " << h.online_cpus.size() << " cores (cpu"
        << engine::describe_cpus(h.online_cpus) << "), used " << used_cpus_text(r) << "\n";
    out << "            kernel " << h.kernel << "; governor " << describe_governors(h)
        << "; isolcpus " << (h.isolcpus.empty() ? "none" : h.isolcpus) << "; thp "
        << (h.thp.empty() ? "not readable" : h.thp) << "\n";
    out << std::defaultfloat;
}

}  // namespace keel::replay
