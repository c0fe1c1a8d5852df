// The HTTP/1.1 wire format as HttpServer reads and writes it: a Beast parser that fills an
// HttpRequest directly (no intermediate message and field container), and the bytes of an
// answer's status line and headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "keel/adapters/http/http_message.hpp"

namespace keel::adapters::http {

// Beast's HTTP/1 parser (limits, chunked bodies, keep-alive rules) with the request stored as
// the handler will see it: header names lower-cased, the body with `kBodySlack` spare bytes of
// capacity (a handler may parse it in place, e.g. with simdjson, which reads past the end).
// One per request, like beast::http::parser.
class RequestParser final : public boost::beast::http::basic_parser<true> {
  public:
    static constexpr std::size_t kBodySlack = 64;

    // The request so far: method and target are set once the request line is read, so an
    // error answered before the handler (a body past the limit) can still name them.
    [[nodiscard]] HttpRequest& request() noexcept { return request_; }
    // Whether the client asked for "100 Continue" before sending its body.
    [[nodiscard]] bool expects_continue() const noexcept { return expect_continue_; }
    // 10 for HTTP/1.0, 11 for HTTP/1.1 (once the request line is read).
    [[nodiscard]] int version() const noexcept { return version_; }

  private:
    using error_code = boost::beast::error_code;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb method, string_view method_str,
                         string_view target, int version, error_code& ec) override;
    void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
    std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
    void on_finish_impl(error_code& ec) override;

    HttpRequest request_;
    bool expect_continue_ = false;
    int version_ = 11;
};

// Appends the status line and headers of `res` (Server, Content-Type, its own headers,
// Content-Length, and Connection: close unless kept alive, or keep-alive to an HTTP/1.0 client
// that is kept), ending with the blank line; the body goes after it as is. A handler's header
// that the server writes itself (Content-Length, Connection, Server, Content-Type) or whose
// name or value holds a CR or LF is left out: it could end the head early or split the answer.
void append_response_head(std::string& out, const HttpResponse& res, bool keep_alive,
                          bool http10 = false);

}  // namespace keel::adapters::http
