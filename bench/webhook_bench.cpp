// webhook_bench: the latency of one TradingView alert through the real HttpServer and
// WebhookReceiver (keep-alive POST, one connection, an input port that is durable at once),
// beside a raw TCP echo of the same byte count on the same loopback (the floor any HTTP server
// pays) and the same server with a handler that answers at once (the server's share). The three
// round trips are interleaved in one benchmark; it reports p50 and p99 of each, and the target
// is webhook p50 <= 1.3x the echo p50. webhook_receiver_only is the receiver's CPU cost alone.
//
// --serve PORT [--threads N] runs the same server for wrk (bench/webhook_wrk.sh) until SIGINT
// or SIGTERM; PORT 0 picks a free port and prints it.
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench_support.hpp"
#include "keel/adapters/http/http_server.hpp"
#include "keel/adapters/webhook/webhook_receiver.hpp"
#include "keel/engine/pipeline/latency_histogram.hpp"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using keel::adapters::InputPort;
using keel::engine::Event;
using keel::engine::LatencyHistogram;

constexpr const char* kSecret = "bench-webhook-secret-5d1e";  // 16+ characters, as keel asks
// Round trips with every thread on one CPU (OneCpu), and as the scheduler places them.
constexpr const char* kOneCpu = "round_trips_one_cpu";
constexpr const char* kSpread = "round_trips_spread";
constexpr const char* kReceiver = "webhook_receiver_only";

// Every tracked event is durable at once under the next sequence number (thread-safe: the
// server's io thread submits while wrk drives it).
class DurablePort final : public InputPort {
  public:
    bool submit(const Event&) noexcept override { return true; }
    std::optional<Ticket> submit_tracked(const Event&, std::string_view) noexcept override {
        return static_cast<Ticket>(next_.fetch_add(1, std::memory_order_relaxed) % kTickets);
    }
    Fate fate(Ticket) const noexcept override { return Fate::durable; }
    std::uint64_t seq(Ticket t) const noexcept override { return t + 1; }
    void release(Ticket) noexcept override {}

  private:
    static constexpr std::uint32_t kTickets = 1u << 20;
    std::atomic<std::uint32_t> next_{0};
};

struct WebhookStack {
    // bare: a handler that answers 200 at once, to split the server's share from the
    // receiver's.
    explicit WebhookStack(std::uint16_t port = 0, unsigned threads = 1, bool bare = false) {
        keel::adapters::http::ServerOptions so;
        so.port = port;
        so.threads = threads;
        server = std::make_unique<keel::adapters::http::HttpServer>(
            so, [this, bare](keel::adapters::http::HttpRequest&& req,
                             keel::adapters::http::Respond respond) {
                if (!bare)
                    return rx->handle(std::move(req), std::move(respond));
                keel::adapters::http::HttpResponse res;
                res.body = R"({"accepted":true,"duplicate":false,"seq":1})";
                respond(std::move(res));
            });
        keel::adapters::webhook::WebhookOptions wo;
        wo.secret = kSecret;
        wo.symbols = {{"AAPL", 0}};
        rx = std::make_unique<keel::adapters::webhook::WebhookReceiver>(wo, port_,
                                                                        server->executor());
        const auto started = server->start();
        if (!started.ok()) {
            std::fprintf(stderr, "webhook_bench: %s\n", started.message.c_str());
            std::exit(2);
        }
    }
    ~WebhookStack() { server->stop(); }

    DurablePort port_;
    std::unique_ptr<keel::adapters::webhook::WebhookReceiver> rx;
    std::unique_ptr<keel::adapters::http::HttpServer> server;
};

// A typical alert with a fixed-width unique id, so every request has the same byte count.
std::string alert_request(std::uint64_t n) {
    char id[24];
    std::snprintf(id, sizeof id, "%012llu", static_cast<unsigned long long>(n));
    const std::string body =
        std::string(R"({"ticker":"AAPL","action":"buy","quantity":"10","price":"187.30",)") +
        R"("strategy":"tv","timeframe":"5","time":"2024-01-02T15:30:00Z","id":")" + id +
        R"(","secret":")" + kSecret + "\"}";
    return "POST /webhook/tradingview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads one HTTP response (headers plus Content-Length bytes); returns its status.
int read_response(tcp::socket& s, std::string& buf) {
    buf.clear();
    char chunk[4096];
    std::size_t header_end = std::string::npos;
    std::size_t need = 0;
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n = s.read_some(net::buffer(chunk), ec);
        if (ec)
            return 0;
        buf.append(chunk, n);
        if (header_end == std::string::npos) {
            header_end = buf.find("\r\n\r\n");
            if (header_end == std::string::npos)
                continue;
            const std::size_t cl = buf.find("Content-Length: ");
            if (cl == std::string::npos || cl > header_end)
                return 0;
            need = header_end + 4 + std::stoul(buf.substr(cl + 16));
        }
        if (buf.size() >= need)
            return std::atoi(buf.c_str() + 9);
    }
}

// A raw TCP echo of the request's byte count: a blocking Asio echo on its own thread, the
// same shape as the server's connection worker, with no parsing at all. The floor any server
// pays for one round trip on this loopback.
class EchoFloor {
  public:
    explicit EchoFloor(std::size_t bytes)
        : acc_(ioc_, {net::ip::make_address("127.0.0.1"), 0}),
          client_(ioc_),
          msg_(alert_request(1)),
          back_(bytes, '\0') {
        const std::uint16_t port = acc_.local_endpoint().port();
        thread_ = std::thread([this] {
            tcp::socket peer(ioc_);
            acc_.accept(peer);
            peer.set_option(tcp::no_delay(true));
            char b[4096];
            for (;;) {
                boost::system::error_code ec;
                const std::size_t n = peer.read_some(net::buffer(b), ec);
                if (ec)
                    return;
                net::write(peer, net::buffer(b, n), ec);
                if (ec)
                    return;
            }
        });
        client_.connect({net::ip::make_address("127.0.0.1"), port});
        client_.set_option(tcp::no_delay(true));
    }
    ~EchoFloor() {
        client_.close();
        thread_.join();
    }
    std::uint64_t round_trip() {
        const auto t0 = std::chrono::steady_clock::now();
        net::write(client_, net::buffer(msg_));
        net::read(client_, net::buffer(back_));
        const auto t1 = std::chrono::steady_clock::now();
        return static_cast<std::uint64_t>((t1 - t0).count());
    }

  private:
    net::io_context ioc_;
    tcp::acceptor acc_;
    tcp::socket client_;
    std::thread thread_;
    std::string msg_;
    std::string back_;
};

// A kept-alive client of one WebhookStack.
class AlertClient {
  public:
    explicit AlertClient(std::uint16_t port) : s_(ioc_) {
        s_.connect({net::ip::make_address("127.0.0.1"), port});
        s_.set_option(tcp::no_delay(true));
    }
    // The round trip of one alert with a new id, in ns; 0 when it was not answered 200.
    std::uint64_t round_trip(std::uint64_t n) {
        const std::string req = alert_request(n);
        const auto t0 = std::chrono::steady_clock::now();
        net::write(s_, net::buffer(req));
        const int status = read_response(s_, buf_);
        const auto t1 = std::chrono::steady_clock::now();
        return status == 200 ? static_cast<std::uint64_t>((t1 - t0).count()) : 0;
    }

  private:
    net::io_context ioc_;
    tcp::socket s_;
    std::string buf_;
};

// Pins the calling thread, and so every thread it creates from then on, to one CPU (the last
// it may use) until destroyed. With the client, the echo thread and the servers' threads on one
// CPU, a round trip is two context switches there: no cross-CPU wake-up (an IPI, ~15 us on this
// VM) and no wake of a halted vCPU (~50 us), which otherwise dominate both sides and vary with
// where the scheduler happens to place each thread.
class OneCpu {
  public:
    OneCpu() {
        if (pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) != 0)
            return;
        int last = -1;
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
            if (CPU_ISSET(cpu, &saved_))
                last = cpu;
        }
        if (last < 0)
            return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(last, &one);
        pinned_ = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
    }
    ~OneCpu() {
        if (pinned_)
            pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
    }
    OneCpu(const OneCpu&) = delete;
    OneCpu& operator=(const OneCpu&) = delete;

  private:
    cpu_set_t saved_{};
    bool pinned_ = false;
};

struct P50s {
    double echo = -1;
    double bare = -1;
    double webhook = -1;
};
P50s g_one_cpu;  // the spread run's counters are printed, not compared

// One round trip of each per iteration, in rotating order: the echo floor, the server with a
// handler that answers at once (the server's share), and the webhook receiver. Interleaved so
// that the three see the same machine: a load that comes and goes during the run moves all
// three alike, and the ratios stay comparable.
void bm_round_trips(benchmark::State& state, bool one_cpu) {
    std::optional<OneCpu> pin;
    if (one_cpu)
        pin.emplace();
    EchoFloor echo(alert_request(0).size());
    WebhookStack bare_stack(0, 1, true);
    WebhookStack webhook_stack(0, 1, false);
    AlertClient bare(bare_stack.server->bound_port());
    AlertClient webhook(webhook_stack.server->bound_port());
    auto h_echo = std::make_unique<LatencyHistogram>();
    auto h_bare = std::make_unique<LatencyHistogram>();
    auto h_webhook = std::make_unique<LatencyHistogram>();
    static std::uint64_t n = 0;
    std::uint64_t i = 0;
    for (auto _ : state) {
        for (int k = 0; k < 3; ++k) {
            switch ((i + static_cast<std::uint64_t>(k)) % 3) {
                case 0:
                    h_echo->record(echo.round_trip());
                    break;
                case 1:
                    if (const std::uint64_t t = bare.round_trip(++n); t > 0) {
                        h_bare->record(t);
                        break;
                    }
                    state.SkipWithError("the bare server did not answer 200");
                    return;
                default:
                    if (const std::uint64_t t = webhook.round_trip(++n); t > 0) {
                        h_webhook->record(t);
                        break;
                    }
                    state.SkipWithError("the webhook did not answer 200");
                    return;
            }
        }
        ++i;
    }
    const auto counter = [&](const char* name, const LatencyHistogram& h, double q) {
        state.counters[name] = static_cast<double>(h.value_at(q));
    };
    counter("echo_p50_ns", *h_echo, 0.50);
    counter("echo_p99_ns", *h_echo, 0.99);
    counter("bare_p50_ns", *h_bare, 0.50);
    counter("bare_p99_ns", *h_bare, 0.99);
    counter("webhook_p50_ns", *h_webhook, 0.50);
    counter("webhook_p99_ns", *h_webhook, 0.99);
    if (one_cpu) {
        g_one_cpu.echo = static_cast<double>(h_echo->value_at(0.50));
        g_one_cpu.bare = static_cast<double>(h_bare->value_at(0.50));
        g_one_cpu.webhook = static_cast<double>(h_webhook->value_at(0.50));
    }
}

// The receiver alone, no sockets: the handler's own share of an alert.
void bm_receiver(benchmark::State& state) {
    DurablePort port;
    boost::asio::io_context ioc;
    keel::adapters::webhook::WebhookOptions wo;
    wo.secret = kSecret;
    wo.symbols = {{"AAPL", 0}};
    keel::adapters::webhook::WebhookReceiver rx(wo, port, ioc.get_executor());
    // A unique id per alert without building the body again: its 12 digits are counted up in
    // place, so the loop times the receiver, not string formatting.
    const std::string text = alert_request(0);
    std::string body = text.substr(text.find("\r\n\r\n") + 4);
    const std::size_t id_at = body.find("\"id\":\"") + 6;
    int status = 0;
    for (auto _ : state) {
        for (std::size_t d = id_at + 11;; --d) {
            if (body[d] != '9') {
                ++body[d];
                break;
            }
            body[d] = '0';
        }
        keel::adapters::http::HttpRequest req;
        req.method = keel::engine::HttpMethod::post;
        req.target = "/webhook/tradingview";
        req.body.reserve(body.size() + 64);
        req.body = body;
        req.remote_ipv4 = 0x7f000001;
        req.remote = "127.0.0.1";
        rx.handle(std::move(req), [&status](keel::adapters::http::HttpResponse res) {
            status = static_cast<int>(res.status);
        });
        if (status != 200) {
            state.SkipWithError("receiver refused the alert");
            break;
        }
    }
}

int serve(std::uint16_t port, unsigned threads) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the io threads start: they inherit it
    WebhookStack stack(port, threads);
    std::printf("listening on 127.0.0.1:%u\n", stack.server->bound_port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    const auto& c = stack.rx->counters();
    std::printf("accepted %llu, duplicate %llu\n",
                static_cast<unsigned long long>(c.accepted.load()),
                static_cast<unsigned long long>(c.duplicate.load()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--serve") == 0 && i + 1 < argc) {
            unsigned threads = 1;
            for (int j = i + 2; j + 1 < argc; ++j) {
                if (std::strcmp(argv[j], "--threads") == 0)
                    threads = static_cast<unsigned>(std::atoi(argv[j + 1]));
            }
            return serve(static_cast<std::uint16_t>(std::atoi(argv[i + 1])), threads);
        }
    }
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RegisterBenchmark(kOneCpu, bm_round_trips, true)->UseRealTime();
    benchmark::RegisterBenchmark(kSpread, bm_round_trips, false)->UseRealTime();
    benchmark::RegisterBenchmark(kReceiver, bm_receiver);
    keel::bench::CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!reporter.empty()) {
        const auto over = [](double a, double b) { return a > 0 && b > 0 ? a / b : -1.0; };
        const std::vector<keel::bench::RatioRow> rows = {
            {"p50 one CPU: bare HTTP server / echo", over(g_one_cpu.bare, g_one_cpu.echo),
             keel::bench::Goal::none, 0, keel::bench::kNotGated},
            // Gated at 2x (measured 1.2x): catches a gross regression of the server or the
            // receiver; the 1.3x target is reported.
            {"p50 one CPU: webhook POST / echo", over(g_one_cpu.webhook, g_one_cpu.echo),
             keel::bench::Goal::at_most, 1.3, 2.0},
        };
        // They block in recv by design: their CPU time is below wall time.
        keel::bench::print_ratio_table(reporter, rows, console ? stdout : stderr,
                                       {kOneCpu, kSpread});
    }
    return reporter.errors() > 0 ? 1 : 0;
}
