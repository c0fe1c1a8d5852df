#include "keel/engine/config/strict_json.hpp"

#include <set>
#include <stdexcept>
#include <vector>

namespace keel::engine {

namespace {

// One open object or array while parsing: its path, its keys so far (objects) or the index
// of its next element (arrays), and the key a nested value goes under.
struct Frame {
    bool object = false;
    std::string path;
    std::set<std::string, std::less<>> keys;
    std::size_t next_index = 0;
    std::string last_key;
};

struct Refusal : std::runtime_error {
    StrictJsonError error;
    explicit Refusal(StrictJsonError e) : std::runtime_error(e.message), error(std::move(e)) {}
};

std::string child_path(const std::vector<Frame>& stack) {
    if (stack.empty())
        return {};
    const Frame& f = stack.back();
    if (f.object)
        return f.path.empty() ? f.last_key : f.path + "." + f.last_key;
    return f.path + "[" + std::to_string(f.next_index) + "]";
}

// A value (scalar, object or array) starts in the innermost frame: an array counts it.
void element_starts(std::vector<Frame>& stack) {
    if (!stack.empty() && !stack.back().object)
        ++stack.back().next_index;
}

}  // namespace

bool parse_strict_json(std::string_view text, Json& out, StrictJsonError& error) {
    std::vector<Frame> stack;
    const auto callback = [&stack](int depth, Json::parse_event_t event, Json& parsed) {
        switch (event) {
            case Json::parse_event_t::object_start:
            case Json::parse_event_t::array_start: {
                std::string path = child_path(stack);
                if (depth >= kMaxJsonDepth) {
                    throw Refusal({path, "nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                             " levels"});
                }
                element_starts(stack);
                Frame f;
                f.object = event == Json::parse_event_t::object_start;
                f.path = std::move(path);
                stack.push_back(std::move(f));
                break;
            }
            case Json::parse_event_t::object_end:
            case Json::parse_event_t::array_end:
                if (!stack.empty())
                    stack.pop_back();
                break;
            case Json::parse_event_t::key: {
                Frame& f = stack.back();
                std::string key = parsed.get<std::string>();
                f.last_key = key;
                if (!f.keys.insert(std::move(key)).second) {
                    throw Refusal({child_path(stack),
                                   "duplicate key '" + shown_value(f.last_key) +
                                       "' (each key may appear once in an object)"});
                }
                break;
            }
            case Json::parse_event_t::value:
                if (parsed.is_string() && parsed.get_ref<const std::string&>().size() >
                                              kMaxJsonString) {
                    throw Refusal({child_path(stack),
                                   "a string of " +
                                       std::to_string(parsed.get_ref<const std::string&>().size()) +
                                       " bytes (at most " + std::to_string(kMaxJsonString) + ")"});
                }
                element_starts(stack);
                break;
        }
        return true;
    };
    try {
        out = Json::parse(text.begin(), text.end(), callback);
    } catch (const Refusal& r) {
        error = r.error;
        return false;
    } catch (const Json::parse_error& e) {
        // nlohmann's message names the line and column; keep the byte offset too.
        // e.byte counts characters read, so the offending byte's 0-based offset is one less.
        error = {"", "invalid JSON at byte offset " +
                         std::to_string(e.byte == 0 ? 0 : e.byte - 1) + ": " + e.what()};
        return false;
    } catch (const Json::exception& e) {
        // A number too large for any type ("1e999": out_of_range.406), and the like.
        error = {child_path(stack), std::string("invalid JSON: ") + e.what()};
        return false;
    }
    return true;
}

std::string shown_value(std::string_view value) {
    if (value.size() <= kShownValueChars)
        return std::string(value);
    return std::string(value.substr(0, kShownValueChars)) + "... (" +
           std::to_string(value.size()) + " bytes)";
}

std::string shorten_quoted(const std::string& message) {
    std::string out;
    std::size_t i = 0;
    while (i < message.size()) {
        const std::size_t open = message.find('\'', i);
        if (open == std::string::npos)
            break;
        const std::size_t close = message.find('\'', open + 1);
        if (close == std::string::npos)
            break;
        out.append(message, i, open + 1 - i);
        out += shown_value(std::string_view(message).substr(open + 1, close - open - 1));
        out += '\'';
        i = close + 1;
    }
    out.append(message, i, std::string::npos);
    // And the message itself, should a value be echoed unquoted.
    constexpr std::size_t kMaxMessage = 400;
    if (out.size() > kMaxMessage)
        out = out.substr(0, kMaxMessage) + "... (" + std::to_string(out.size()) + " bytes)";
    return out;
}

}  // namespace keel::engine
