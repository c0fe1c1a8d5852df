// The client side of TLS, shared by every keel client that speaks it (notify's blocking POST,
// the asynchronous HTTPS and WebSocket clients): one way to build the context (peer
// verification against the system's CA store or one given file) and one way to prepare a
// stream for a host (SNI and host-name verification), so no client can forget either.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <string>

namespace keel::adapters::http {

// A TLS client context that verifies the peer: against the system's CA store when ca_file is
// empty, else against the certificates in ca_file (PEM) alone. Start-up code: a ca_file that
// is missing or holds no certificate throws std::runtime_error naming the file.
[[nodiscard]] boost::asio::ssl::context make_client_tls_context(const std::string& ca_file);

// Prepares a client stream for host before its handshake: the certificate must name host (a
// DNS name, or an IP address as written), and host is sent as the server name (SNI), without
// which shared front ends answer with another site's certificate. False when OpenSSL refused
// the server name (the stream must not be used then).
[[nodiscard]] bool prepare_tls_stream(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                      const std::string& host);

}  // namespace keel::adapters::http
