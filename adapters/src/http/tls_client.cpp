#include "keel/adapters/http/tls_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>

#include <stdexcept>

namespace keel::adapters::http {

boost::asio::ssl::context make_client_tls_context(const std::string& ca_file) {
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_peer);
    if (ca_file.empty()) {
        ctx.set_default_verify_paths();
        return ctx;
    }
    // Only the given file is trusted: a test server's or a private CA's certificate must not
    // widen trust in everything the system store also vouches for.
    boost::system::error_code ec;
    ctx.load_verify_file(ca_file, ec);
    if (ec)
        throw std::runtime_error("TLS: cannot load the CA file " + ca_file + ": " + ec.message());
    return ctx;
}

bool prepare_tls_stream(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                        const std::string& host) {
    stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
    return SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) == 1;
}

}  // namespace keel::adapters::http
