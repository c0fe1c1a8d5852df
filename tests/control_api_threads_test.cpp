// ControlApi on real threads: requests handled on an io_context thread, commands carried by the
// LiveInputQueue to an ingest thread, answers sent from AsioScheduler poll tasks once the
// durable watermark passes them, while another thread publishes state snapshots.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "keel/adapters/control/asio_scheduler.hpp"
#include "keel/adapters/control/control_api.hpp"
#include "keel/adapters/input/live_input_queue.hpp"

namespace keel::adapters::control {
namespace {

using engine::CommandCode;
using engine::Event;
using engine::EventType;
using engine::HttpMethod;

constexpr const char* kToken = "threads-token-0123456789";

TEST(ControlApiThreads, CommandsAreAnsweredFromTheIoThreadOnceIngestMakesThemDurable) {
    LiveInputQueue queue(1024, 16);
    std::atomic<std::uint64_t> durable{0};
    queue.set_durable_watermark(&durable);
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    AsioScheduler scheduler(io);
    StatePublisher publisher;
    ReadinessBoard board;
    ControlApiOptions options;
    options.token = kToken;
    // Generous: the answer must come from durability, never from the deadline.
    options.durable_timeout = std::chrono::milliseconds(60'000);
    ControlApi api(
        ControlApiDeps{queue, scheduler, publisher, board, [] { return MetricsSnapshot{}; }},
        options);
    http::Handler handler = api.handler();

    std::thread io_thread([&] { io.run(); });
    std::atomic<bool> stop{false};
    std::vector<Event> seen;  // the ingest thread's alone until it is joined
    std::thread ingest([&] {
        std::uint64_t seq = 0;
        Event e{};
        while (!stop.load(std::memory_order_acquire)) {
            if (queue.poll(e) != engine::InputSource::Poll::event) {
                std::this_thread::yield();
                continue;
            }
            e.header.seq = ++seq;
            queue.sequenced(e);
            seen.push_back(e);
            durable.store(seq, std::memory_order_release);
        }
    });
    std::thread state_thread([&] {
        for (std::uint64_t i = 1; i <= 2000; ++i) {
            StateView v;
            v.last_seq = i;
            publisher.publish(std::move(v));
        }
    });

    auto send = [&](HttpMethod method, std::string target, std::string body) {
        auto promise = std::make_shared<std::promise<http::HttpResponse>>();
        auto future = promise->get_future();
        http::HttpRequest req;
        req.method = method;
        req.target = std::move(target);
        req.body = std::move(body);
        req.headers.emplace_back("authorization", std::string("Bearer ") + kToken);
        boost::asio::post(io, [&handler, req = std::move(req), promise]() mutable {
            handler(std::move(req), [promise](http::HttpResponse r) { promise->set_value(r); });
        });
        return future;
    };

    constexpr int kRounds = 30;
    std::vector<std::uint64_t> seqs;
    for (int i = 0; i < kRounds; ++i) {
        auto kill = send(HttpMethod::post, "/api/kill", "");
        auto risk =
            send(HttpMethod::post, "/api/risk",
                 R"({"max_order_qty":")" + std::to_string(i + 1) + R"(","max_position":"9"})");
        auto status = send(HttpMethod::get, "/api/status", "");
        for (auto* f : {&kill, &risk}) {
            const http::HttpResponse r = f->get();
            ASSERT_EQ(r.status, 200u) << r.body;
            seqs.push_back(nlohmann::json::parse(r.body).at("seq").get<std::uint64_t>());
        }
        const http::HttpResponse s = status.get();
        EXPECT_TRUE(s.status == 200u || s.status == 503u) << s.body;  // 503 before a publish
    }
    state_thread.join();
    stop.store(true, std::memory_order_release);
    ingest.join();
    work.reset();
    io_thread.join();

    // Each answered seq is the sequence ingest gave that command, and they rise.
    for (std::size_t i = 1; i < seqs.size(); ++i)
        EXPECT_GT(seqs[i], seqs[i - 1]);
    std::vector<CommandCode> codes;
    for (const Event& e : seen) {
        if (e.header.type == EventType::command)
            codes.push_back(e.payload.command.code);
    }
    ASSERT_EQ(codes.size(), static_cast<std::size_t>(kRounds) * 4);
    for (int i = 0; i < kRounds; ++i) {
        const std::size_t k = static_cast<std::size_t>(i) * 4;
        EXPECT_EQ(codes[k], CommandCode::kill);
        EXPECT_EQ(codes[k + 1], CommandCode::limit_stage);
        EXPECT_EQ(codes[k + 2], CommandCode::limit_stage);
        EXPECT_EQ(codes[k + 3], CommandCode::limit_commit);
        EXPECT_EQ(seen.at(seqs[static_cast<std::size_t>(i) * 2] - 1).payload.command.code,
                  CommandCode::kill);
        EXPECT_EQ(seen.at(seqs[static_cast<std::size_t>(i) * 2 + 1] - 1).payload.command.code,
                  CommandCode::limit_commit);
    }
}

}  // namespace
}  // namespace keel::adapters::control
