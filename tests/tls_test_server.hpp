// A loopback TLS server for the client tests (HttpsClient, WssClient): it presents the
// committed test certificate (tests/data/tls/localhost.crt), accepts on its own thread and
// gives each connection, still plain TCP, to the test's handler on a thread of its own, where
// the handler does the TLS handshake and speaks whatever protocol it tests with Beast's
// blocking calls. A handler that must hang waits in wait_release(), which returns at
// release() or when the server stops, so no test ends with a thread stuck. Every socket has a
// receive timeout as a safety net only: no test relies on it for ordering.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keel::test {

inline std::string tls_test_file(const char* name) {
    return std::string(KEEL_SOURCE_DIR) + "/tests/data/tls/" + name;
}

class TlsTestServer {
  public:
    using tcp = boost::asio::ip::tcp;
    // socket: the accepted connection (TCP only); index: 1 for the first accepted, 2 for the
    // next, and so on.
    using Handler =
        std::function<void(tcp::socket socket, boost::asio::ssl::context& ctx, int index)>;

    explicit TlsTestServer(Handler handler, const char* address = "127.0.0.1")
        : handler_(std::move(handler)),
          ctx_(boost::asio::ssl::context::tls_server),
          acceptor_(io_, {boost::asio::ip::make_address(address), 0}) {
        ctx_.use_certificate_chain_file(tls_test_file("localhost.crt"));
        ctx_.use_private_key_file(tls_test_file("localhost.key"), boost::asio::ssl::context::pem);
        endpoint_ = acceptor_.local_endpoint();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }
    ~TlsTestServer() { stop(); }
    TlsTestServer(const TlsTestServer&) = delete;
    TlsTestServer& operator=(const TlsTestServer&) = delete;

    [[nodiscard]] std::string port() const { return std::to_string(endpoint_.port()); }
    [[nodiscard]] int accepted() const { return accepted_.load(); }

    // For a handler that must not answer: returns at release() or stop().
    void wait_release() {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(60), [this] { return released_; });
    }
    void release() {
        const std::lock_guard lock(mutex_);
        released_ = true;
        cv_.notify_all();
    }

    void stop() {
        if (stopping_.exchange(true))
            return;
        release();
        // Wakes the blocking accept with one connection of its own, which is dropped.
        boost::asio::io_context io;
        tcp::socket wake(io);
        boost::system::error_code ignored;
        wake.connect(endpoint_, ignored);
        accept_thread_.join();
        for (std::thread& t : connections_)
            t.join();
    }

  private:
    void accept_loop() {
        for (;;) {
            tcp::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (stopping_.load() || ec)
                return;
            timeval tv{20, 0};
            ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            const int index = ++accepted_;
            connections_.emplace_back([this, index, s = std::move(socket)]() mutable {
                // Beast's blocking calls throw; a connection that ends that way simply ends.
                try {
                    handler_(std::move(s), ctx_, index);
                } catch (const std::exception&) {
                }
            });
        }
    }

    Handler handler_;
    boost::asio::io_context io_;
    boost::asio::ssl::context ctx_;
    tcp::acceptor acceptor_;
    tcp::endpoint endpoint_;
    std::thread accept_thread_;
    std::vector<std::thread> connections_;  // the accept thread's until stop() joined it
    std::atomic<int> accepted_{0};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    bool released_ = false;
};

// Runs io's handlers until done() holds. The cap is a hang guard only (a broken client fails
// the test instead of hanging it); no test asserts on how long this takes.
template <class Done>
bool drive(boost::asio::io_context& io, Done done) {
    const auto cap = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < cap) {
        if (io.stopped())
            io.restart();
        io.run_one_for(std::chrono::milliseconds(50));
    }
    return done();
}

}  // namespace keel::test
