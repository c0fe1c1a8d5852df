#include "keel/adapters/http/http_error.hpp"

#include <cstdio>

namespace keel::adapters::http {

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

std::string error_body(engine::ApiCode code, std::string_view message) {
    std::string body = "{\"error\":";
    append_json_string(body, engine::to_string(code));
    body += ",\"message\":";
    append_json_string(body, message);
    body += '}';
    return body;
}

HttpResponse error_response(unsigned status, engine::ApiCode code, std::string_view message) {
    HttpResponse r;
    r.status = status;
    r.body = error_body(code, message);
    return r;
}

}  // namespace keel::adapters::http
