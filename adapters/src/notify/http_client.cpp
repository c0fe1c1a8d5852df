#include "keel/adapters/notify/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "keel/adapters/http/tls_client.hpp"

namespace keel::adapters::notify {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxAnswerBody = 64 * 1024;

template <class Stream>
HttpResult exchange(Stream& stream, const ParsedUrl& url, std::string_view content_type,
                    std::string_view body) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "keel-notify");
    req.set(http::field::content_type,
            beast::string_view(content_type.data(), content_type.size()));
    req.body() = std::string(body);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBody);
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    HttpResult out;
    out.status = res.result_int();
    if (const auto it = res.find(http::field::retry_after); it != res.end())
        out.retry_after = std::string(it->value());
    out.body = res.body();
    return out;
}

HttpResult post_plain(const ParsedUrl& url, std::string_view content_type, std::string_view body,
                      std::chrono::milliseconds timeout) {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(url.host, url.port));
    HttpResult out = exchange(stream, url, content_type, body);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
}

HttpResult post_tls(const ParsedUrl& url, std::string_view content_type, std::string_view body,
                    std::chrono::milliseconds timeout) {
    asio::io_context io;
    // The system's CA store: chat services have public certificates.
    asio::ssl::context ctx = adapters::http::make_client_tls_context("");
    tcp::resolver resolver(io);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    if (!adapters::http::prepare_tls_stream(stream, url.host))
        return {0, {}, {}, "TLS: could not set the server name"};
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(resolver.resolve(url.host, url.port));
    stream.handshake(asio::ssl::stream_base::client);
    HttpResult out = exchange(stream, url, content_type, body);
    beast::error_code ignored;
    stream.shutdown(ignored);
    return out;
}

}  // namespace

std::optional<ParsedUrl> parse_url(std::string_view url) {
    ParsedUrl out;
    if (url.rfind("https://", 0) == 0) {
        out.tls = true;
        url.remove_prefix(8);
    } else if (url.rfind("http://", 0) == 0) {
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    const std::size_t slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        return std::nullopt;  // user info in a URL is not supported (and would be a leak)
    std::size_t colon = authority.rfind(':');
    if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        out.host = std::string(authority.substr(1, close - 1));
        colon = close + 1 < authority.size() && authority[close + 1] == ':'
                    ? close + 1
                    : std::string_view::npos;
    } else {
        out.host = std::string(authority.substr(0, colon));
    }
    out.port = colon == std::string_view::npos ? (out.tls ? "443" : "80")
                                               : std::string(authority.substr(colon + 1));
    if (out.host.empty() || out.port.empty() ||
        out.port.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return out;
}

HttpResult post_json(const ParsedUrl& url, std::string_view content_type, std::string_view body,
                     std::chrono::milliseconds timeout) {
    // Beast's and Asio's blocking calls report failures by throwing; on this cold thread that
    // is caught here, once, and the caller sees only an error value.
    try {
        return url.tls ? post_tls(url, content_type, body, timeout)
                       : post_plain(url, content_type, body, timeout);
    } catch (const boost::system::system_error& e) {
        // The error's message names the operation's failure (refused, timed out, certificate
        // verify failed), not the URL.
        return {0, {}, {}, e.code().message()};
    } catch (const std::exception& e) {
        return {0, {}, {}, e.what()};
    }
}

}  // namespace keel::adapters::notify
