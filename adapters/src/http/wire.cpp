#include "wire.hpp"

#include <boost/beast/http/status.hpp>

namespace keel::adapters::http {

namespace bhttp = boost::beast::http;

namespace {

engine::HttpMethod method_of(bhttp::verb v) noexcept {
    switch (v) {
        case bhttp::verb::get:
            return engine::HttpMethod::get;
        case bhttp::verb::post:
            return engine::HttpMethod::post;
        case bhttp::verb::put:
            return engine::HttpMethod::put;
        case bhttp::verb::delete_:
            return engine::HttpMethod::del;
        case bhttp::verb::head:
            return engine::HttpMethod::head;
        default:
            return engine::HttpMethod::other;
    }
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

}  // namespace

void RequestParser::on_request_impl(bhttp::verb method, string_view, string_view target,
                                    int version, error_code&) {
    version_ = version;
    request_.method = method_of(method);
    request_.target.assign(target.data(), target.size());
    request_.headers.reserve(8);
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
    ec = bhttp::error::bad_method;  // a request parser never sees a status line
}

void RequestParser::on_field_impl(bhttp::field name, string_view name_string, string_view value,
                                  error_code&) {
    if (name == bhttp::field::expect && iequals({value.data(), value.size()}, "100-continue"))
        expect_continue_ = true;
    std::string key(name_string.data(), name_string.size());
    for (char& c : key)
        c = lower(c);
    request_.headers.emplace_back(std::move(key), std::string(value.data(), value.size()));
}

void RequestParser::on_header_impl(error_code&) {}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
    // The limit was checked against Content-Length before this is called.
    if (content_length)
        request_.body.reserve(static_cast<std::size_t>(*content_length) + kBodySlack);
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
    request_.body.append(body.data(), body.size());
    return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
    request_.body.append(body.data(), body.size());
    return body.size();
}

void RequestParser::on_finish_impl(error_code&) {
    if (request_.body.capacity() < request_.body.size() + kBodySlack)
        request_.body.reserve(request_.body.size() + kBodySlack);
}

void append_response_head(std::string& out, const HttpResponse& res, bool keep_alive, bool http10) {
    const auto reason = bhttp::obsolete_reason(bhttp::int_to_status(res.status));
    out += "HTTP/1.1 ";
    out += std::to_string(res.status);
    out += ' ';
    out.append(reason.data(), reason.size());
    out += "\r\nServer: keel\r\nContent-Type: ";
    out += res.content_type;
    for (const auto& [k, v] : res.headers) {
        if (iequals(k, "content-length") || iequals(k, "connection") || iequals(k, "server") ||
            iequals(k, "content-type") || k.find_first_of("\r\n") != std::string::npos ||
            v.find_first_of("\r\n") != std::string::npos)
            continue;
        out += "\r\n";
        out += k;
        out += ": ";
        out += v;
    }
    out += "\r\nContent-Length: ";
    out += std::to_string(res.body.size());
    if (!keep_alive)
        out += "\r\nConnection: close";
    else if (http10)
        out += "\r\nConnection: keep-alive";
    out += "\r\n\r\n";
}

}  // namespace keel::adapters::http
