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

}  // namespace

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
