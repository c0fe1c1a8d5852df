#include "keel/engine/config/secrets.hpp"

#include <string>
#include <vector>

namespace keel::engine {
namespace {

// Splits a dotted path into its parts.
std::vector<std::string_view> parts(std::string_view path) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t dot = path.find('.');
        out.push_back(path.substr(0, dot));
        if (dot == std::string_view::npos)
            return out;
        path.remove_prefix(dot + 1);
    }
}

// Masks the value at declared[i..] below node.
void mask_at(Json& node, const std::vector<std::string_view>& declared, std::size_t i) {
    if (i == declared.size()) {
        if (!node.is_null())
            node = "***";
        return;
    }
    if (declared[i] == "*") {
        if (node.is_array()) {
            for (Json& element : node)
                mask_at(element, declared, i + 1);
        }
        return;
    }
    if (!node.is_object())
        return;
    const auto it = node.find(std::string(declared[i]));
    if (it != node.end())
        mask_at(*it, declared, i + 1);
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) noexcept {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
        if (c != prefix[i])
            return false;
    }
    return true;
}

}  // namespace

std::string weak_secret(std::string_view value) {
    if (value.empty())
        return "is missing";
    for (const std::string_view p : kPlaceholderSecrets) {
        if (value == p)
            return "is the placeholder text of the shipped configs, which authenticates nobody";
    }
    if (starts_with_nocase(value, "change-me") || starts_with_nocase(value, "changeme"))
        return "is placeholder text (it starts with change-me), which authenticates nobody";
    if (value.size() < kMinSecretLength)
        return "is " + std::to_string(value.size()) + " characters long; at least " +
               std::to_string(kMinSecretLength) + " are needed";
    return {};
}

bool is_secret_path(std::string_view text) noexcept {
    // "a[1].b" -> "a.1.b"
    std::string dotted;
    for (const char ch : text) {
        if (ch == '[')
            dotted += '.';
        else if (ch != ']')
            dotted += ch;
    }
    const std::vector<std::string_view> p = parts(dotted);
    for (const std::string_view declared : kSecretPaths) {
        const std::vector<std::string_view> d = parts(declared);
        if (d.size() != p.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < d.size() && same; ++i)
            same = d[i] == p[i] || (d[i] == "*" && !p[i].empty() &&
                                    p[i].find_first_not_of("0123456789") == std::string_view::npos);
        if (same)
            return true;
    }
    return false;
}

Json mask_secrets(const Json& config) {
    Json out = config;
    for (const std::string_view declared : kSecretPaths)
        mask_at(out, parts(declared), 0);
    return out;
}

}  // namespace keel::engine
