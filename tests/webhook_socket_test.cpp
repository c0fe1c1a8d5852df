// The webhook receiver on the real HttpServer and LiveInputQueue, over loopback sockets, with a
// thread playing ingest: every 200 names a sequence ingest gave that very alert, duplicates and
// refusals trade nothing and are audited, and an alert ingest never takes is answered 503.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "http_test_client.hpp"
#include "keel/adapters/http/http_server.hpp"
#include "keel/adapters/input/live_input_queue.hpp"
#include "keel/adapters/webhook/webhook_receiver.hpp"

namespace keel::adapters::webhook {
namespace {

using engine::Event;
using engine::EventType;
using test::TestClient;

constexpr const char* kSecret = "sock-secret-41";

// Sequences what the queue holds and marks it durable, like ingest over a journal.
class FakeIngest {
  public:
    explicit FakeIngest(LiveInputQueue& q) : q_(q) {
        q_.set_durable_watermark(&durable_);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeIngest() { stop(); }
    void stop() {
        stop_.store(true);
        if (thread_.joinable())
            thread_.join();
    }
    // Only after stop().
    const std::vector<Event>& events() const { return events_; }

  private:
    // After stop() it drains what is queued (the producers have stopped by then), so audit
    // events submitted just before are not missed.
    void run() {
        for (;;) {
            Event e{};
            if (q_.poll(e) != engine::InputSource::Poll::event) {
                if (stop_.load())
                    return;
                std::this_thread::yield();
                continue;
            }
            e.header.seq = ++seq_;
            events_.push_back(e);
            q_.sequenced(e);
            durable_.store(seq_, std::memory_order_release);
        }
    }

    LiveInputQueue& q_;
    std::atomic<std::uint64_t> durable_{0};
    std::atomic<bool> stop_{false};
    std::uint64_t seq_ = 0;
    std::vector<Event> events_;
    std::thread thread_;
};

struct Stack {
    explicit Stack(std::chrono::milliseconds ack_deadline = std::chrono::milliseconds(2'500)) {
        http::ServerOptions so;
        so.max_body_bytes = 16 * 1024;
        so.threads = 2;
        so.on_refused = [this](const http::Refusal& r) { rx->audit_server_refusal(r); };
        server = std::make_unique<http::HttpServer>(
            so, [this](http::HttpRequest&& req, http::Respond respond) {
                rx->handle(std::move(req), std::move(respond));
            });
        WebhookOptions wo;
        wo.secret = kSecret;
        wo.symbols = {{"AAPL", 0}, {"MSFT", 1}};
        wo.ack_deadline = ack_deadline;
        rx = std::make_unique<WebhookReceiver>(wo, queue, server->executor());
        EXPECT_TRUE(server->start().ok());
    }
    ~Stack() { server->stop(); }

    LiveInputQueue queue{1024, 64};
    std::unique_ptr<WebhookReceiver> rx;
    std::unique_ptr<http::HttpServer> server;
};

std::string alert(const std::string& id, std::string_view secret = kSecret) {
    return R"({"ticker":"AAPL","action":"buy","quantity":"1.5","id":")" + id + R"(","secret":")" +
           std::string(secret) + "\"}";
}

std::uint64_t seq_of(const std::string& body) {
    const std::size_t at = body.find("\"seq\":");
    return at == std::string::npos ? 0 : std::stoull(body.substr(at + 6));
}

TEST(WebhookSocket, AcceptedAlertsAreJournaledUnderTheSequenceTheirAnswerNames) {
    Stack s;
    FakeIngest ingest(s.queue);
    constexpr int kClients = 4;
    constexpr int kEach = 10;
    std::vector<std::map<std::string, std::uint64_t>> seqs(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            TestClient client(s.server->bound_port());  // one kept-alive connection each
            for (int i = 0; i < kEach; ++i) {
                const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
                const auto r = client.request("POST", "/webhook/tradingview", alert(id),
                                              "Content-Type: text/plain\r\n");
                if (r.status == 200)
                    seqs[c][id] = seq_of(r.body);
            }
        });
    }
    for (auto& t : clients)
        t.join();

    TestClient client(s.server->bound_port());
    auto r = client.request("POST", "/webhook/tradingview", alert("c0-0"));  // a repeat
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("\"duplicate\":true"), std::string::npos) << r.body;
    r = client.request("POST", "/webhook/tradingview", alert("w1", "wrong"));
    EXPECT_EQ(r.status, 401u);
    TestClient big(s.server->bound_port());
    ASSERT_TRUE(big.send(
        "POST /webhook/tradingview HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"));
    EXPECT_EQ(big.read_response().status, 413u);

    s.server->stop();
    ingest.stop();
    std::map<std::uint64_t, std::uint64_t> alert_key_at_seq;
    std::map<engine::ApiCode, int> audits;
    for (const Event& e : ingest.events()) {
        if (e.header.type == EventType::alert)
            alert_key_at_seq[e.header.seq] = e.payload.alert.alert_key;
        if (e.header.type == EventType::audit)
            ++audits[e.payload.audit.code];
    }
    std::size_t answered = 0;
    for (const auto& m : seqs) {
        for (const auto& [id, seq] : m) {
            ++answered;
            ASSERT_TRUE(alert_key_at_seq.count(seq)) << id;
            EXPECT_EQ(alert_key_at_seq[seq], WebhookReceiver::id_key(id)) << id;
        }
    }
    EXPECT_EQ(answered, std::size_t{kClients * kEach});
    EXPECT_EQ(alert_key_at_seq.size(), answered);  // the duplicate traded nothing
    EXPECT_EQ(audits[engine::ApiCode::duplicate], 1);
    EXPECT_EQ(audits[engine::ApiCode::bad_secret], 1);
    EXPECT_EQ(audits[engine::ApiCode::body_too_large], 1);
    EXPECT_EQ(s.rx->counters().accepted.load(), answered);
}

TEST(WebhookSocket, AlertIngestNeverTakesIs503TimeoutAndReleasedWhenTheQueueIsAbandoned) {
    Stack s(std::chrono::milliseconds(30));
    TestClient client(s.server->bound_port());
    const auto r = client.request("POST", "/webhook/tradingview", alert("lost"));
    EXPECT_EQ(r.status, 503u);
    EXPECT_NE(r.body.find("\"error\":\"timeout\""), std::string::npos) << r.body;
    // The pipeline stops without it: the queue refuses it and the receiver lets go.
    s.queue.abandon();
    s.server->stop();
    EXPECT_EQ(s.rx->counters().refused_with(engine::ApiCode::timeout), 1u);
}

}  // namespace
}  // namespace keel::adapters::webhook
