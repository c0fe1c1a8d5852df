// A blocking loopback HTTP client for socket tests: raw writes, and reads that wait for the
// server (a whole response, or the server closing the connection).
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace keel::test {

class TestClient {
  public:
    // from: the local address to connect from (any 127.x.y.z is this host), so that tests can
    // be several clients by address.
    explicit TestClient(std::uint16_t port, const char* from = "127.0.0.1") : socket_(ioc_) {
        socket_.open(boost::asio::ip::tcp::v4());
        socket_.bind({boost::asio::ip::make_address(from), 0});
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        // A safety net so a broken server fails the test instead of hanging it; no test
        // relies on it for ordering.
        timeval tv{20, 0};
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    // Writes raw bytes; false when the server has closed or reset the connection.
    bool send(std::string_view bytes) {
        boost::system::error_code ec;
        boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
        return !ec;
    }

    // Reads one whole response; status 0 when the connection ended first.
    struct Response {
        unsigned status = 0;
        std::string body;
        std::string retry_after;
        std::string connection;
        std::string error;  // why no response was read
    };
    Response read_response() {
        namespace http = boost::beast::http;
        Response out;
        http::response<http::string_body> res;
        boost::system::error_code ec;
        http::read(socket_, buffer_, res, ec);
        if (ec) {
            out.error = ec.message();
            return out;
        }
        out.status = res.result_int();
        out.body = res.body();
        out.retry_after = std::string(res[http::field::retry_after]);
        out.connection = std::string(res[http::field::connection]);
        return out;
    }

    Response request(std::string_view method, std::string_view target, std::string_view body,
                     std::string_view extra_headers = {}) {
        std::string req =
            std::string(method) + " " + std::string(target) +
            " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
        if (!send(req)) {
            Response r;
            r.error = "send failed";
            return r;
        }
        return read_response();
    }

    // Reads until the server closes the connection (or resets it); returns what arrived.
    std::string read_until_closed() {
        std::string got(buffer_.size(), '\0');
        boost::asio::buffer_copy(boost::asio::buffer(got), buffer_.data());
        buffer_.consume(buffer_.size());
        char chunk[4096];
        for (;;) {
            boost::system::error_code ec;
            const std::size_t n = socket_.read_some(boost::asio::buffer(chunk), ec);
            got.append(chunk, n);
            if (ec) {
                closed_by_peer_ =
                    ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
                return got;
            }
        }
    }
    [[nodiscard]] bool closed_by_peer() const noexcept { return closed_by_peer_; }

  private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
    bool closed_by_peer_ = false;
};

}  // namespace keel::test
