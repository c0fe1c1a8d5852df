// The one JSON error body every refused HTTP request gets:
// {"error":"<ApiCode as string>","message":"<what was wrong, naming the field or limit>"}.
// The server, the webhook receiver and the control API all answer errors through it, so a
// client parses one shape and the code is the machine-readable part.
#pragma once

#include <string>
#include <string_view>

#include "keel/adapters/http/http_message.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters::http {

// Appends s as a JSON string literal (quotes included), escaping quotes, backslashes and
// control characters.
void append_json_string(std::string& out, std::string_view s);

[[nodiscard]] std::string error_body(engine::ApiCode code, std::string_view message);
[[nodiscard]] HttpResponse error_response(unsigned status, engine::ApiCode code,
                                          std::string_view message);

}  // namespace keel::adapters::http
