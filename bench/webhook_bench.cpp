// webhook_bench: the latency of one TradingView alert through the real HttpServer and
// WebhookReceiver (keep-alive POST, one connection, an input port that is durable at once),
// beside a raw TCP echo of the same byte count on the same loopback: the floor any HTTP server
// pays. Reports p50 and p99 of each; the target is webhook p50 <= 1.3x the echo p50.
//
// --serve PORT [--threads N] runs the same server for wrk (bench/webhook_wrk.sh) until SIGINT
// or SIGTERM; PORT 0 picks a free port and prints it.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench_support.hpp"
#include "keel/adapters/http/http_server.hpp"
#include "keel/adapters/webhook/webhook_receiver.hpp"
#include "keel/engine/latency_histogram.hpp"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using keel::adapters::InputPort;
using keel::engine::Event;
using keel::engine::LatencyHistogram;

constexpr const char* kSecret = "bench-secret";
constexpr const char* kWebhook = "webhook_post_keepalive";
constexpr const char* kEcho = "tcp_echo_floor";
constexpr const char* kBare = "http_server_bare_handler";

// Every tracked event is durable at once under the next sequence number (thread-safe: the
// server's io thread submits while wrk drives it).
class DurablePort final : public InputPort {
  public:
    bool submit(const Event&) noexcept override { return true; }
    std::optional<Ticket> submit_tracked(const Event&) noexcept override {
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

void report(benchmark::State& state, const LatencyHistogram& h) {
    state.counters["p50_ns"] = static_cast<double>(h.value_at(0.50));
    state.counters["p99_ns"] = static_cast<double>(h.value_at(0.99));
}

double g_webhook_p50 = -1;
double g_echo_p50 = -1;
double g_bare_p50 = -1;

void bm_webhook(benchmark::State& state, bool bare) {
    WebhookStack stack(0, 1, bare);
    net::io_context ioc;
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), stack.server->bound_port()});
    s.set_option(tcp::no_delay(true));
    auto h = std::make_unique<LatencyHistogram>();
    std::string buf;
    static std::uint64_t n = 0;
    for (auto _ : state) {
        const std::string req = alert_request(++n);
        const auto t0 = std::chrono::steady_clock::now();
        net::write(s, net::buffer(req));
        const int status = read_response(s, buf);
        const auto t1 = std::chrono::steady_clock::now();
        if (status != 200) {
            state.SkipWithError(("webhook answered " + std::to_string(status)).c_str());
            break;
        }
        h->record(static_cast<std::uint64_t>((t1 - t0).count()));
    }
    report(state, *h);
    (bare ? g_bare_p50 : g_webhook_p50) = static_cast<double>(h->value_at(0.50));
}

void bm_echo(benchmark::State& state) {
    const std::size_t bytes = alert_request(0).size();
    net::io_context ioc;
    tcp::acceptor acc(ioc, {net::ip::make_address("127.0.0.1"), 0});
    const std::uint16_t port = acc.local_endpoint().port();
    // The floor: a blocking Asio echo on its own thread, the same shape as the server's one
    // io thread, with no parsing at all.
    std::thread echo([&] {
        tcp::socket peer(ioc);
        acc.accept(peer);
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
    tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    s.set_option(tcp::no_delay(true));
    const std::string msg = alert_request(1);
    std::string back(bytes, '\0');
    auto h = std::make_unique<LatencyHistogram>();
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        net::write(s, net::buffer(msg));
        net::read(s, net::buffer(back));
        const auto t1 = std::chrono::steady_clock::now();
        h->record(static_cast<std::uint64_t>((t1 - t0).count()));
    }
    s.close();
    echo.join();
    report(state, *h);
    g_echo_p50 = static_cast<double>(h->value_at(0.50));
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
    benchmark::RegisterBenchmark(kEcho, bm_echo)->UseRealTime();
    benchmark::RegisterBenchmark(kBare, bm_webhook, true)->UseRealTime();
    benchmark::RegisterBenchmark(kWebhook, bm_webhook, false)->UseRealTime();
    keel::bench::CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!reporter.empty()) {
        const double ratio =
            g_webhook_p50 > 0 && g_echo_p50 > 0 ? g_webhook_p50 / g_echo_p50 : -1.0;
        const double bare = g_bare_p50 > 0 && g_echo_p50 > 0 ? g_bare_p50 / g_echo_p50 : -1.0;
        const std::vector<keel::bench::RatioRow> rows = {
            {"p50: bare HTTP server / TCP echo floor", bare, keel::bench::Goal::none, 0,
             keel::bench::kNotGated},
            // Gated at 4x (measured 2.5x): catches a gross regression of the server or the
            // receiver; the 1.3x target is reported.
            {"p50: webhook POST / TCP echo floor", ratio, keel::bench::Goal::at_most, 1.3, 4.0},
            {"mean: webhook POST / TCP echo floor",
             keel::bench::time_ratio(reporter, kWebhook, kEcho), keel::bench::Goal::none, 0,
             keel::bench::kNotGated},
        };
        // Both block in recv by design: their CPU time is below wall time.
        keel::bench::print_ratio_table(reporter, rows, console ? stdout : stderr,
                                       {kWebhook, kEcho, kBare});
    }
    return reporter.errors() > 0 ? 1 : 0;
}
