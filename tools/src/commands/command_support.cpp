#include "command_support.hpp"

#include <csignal>
#include <ctime>
#include <iostream>

#include "keel/adapters/sim_venue/venue_config.hpp"

namespace keel::tools {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler stores to it");

namespace {

extern "C" void on_stop_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    // The first signal asks for a clean drain; a second one gets the default action (exit).
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void print_errors(const std::string& file, const std::vector<engine::ConfigError>& errors) {
    std::cerr << "keel: " << file << ": " << errors.size() << " problem"
              << (errors.size() == 1 ? "" : "s") << " in the configuration:\n";
    for (const engine::ConfigError& e : errors)
        std::cerr << "  " << e.path << ": " << e.message << "\n";
}

engine::ConfigResult load_and_check(const std::string& file, replay::LiveConfig* live) {
    engine::ConfigResult result = engine::load_config(file, engine::process_environment());
    adapters::validate_adapter_config(result.config, result.errors);
    replay::LiveConfig read = replay::read_live_config(result.config, result.errors);
    if (live != nullptr)
        *live = std::move(read);
    return result;
}

std::optional<std::vector<engine::ConfigOverride>> parse_sets(
    const std::vector<std::string>& sets) {
    std::vector<engine::ConfigOverride> overrides;
    for (const std::string& s : sets) {
        auto o = engine::parse_override(s);
        if (!o) {
            std::cerr << "keel: --set '" << s << "': expected KEY=VALUE\n";
            return std::nullopt;
        }
        overrides.push_back(std::move(*o));
    }
    return overrides;
}

std::filesystem::path default_journal_dir(const std::string& session) {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    const std::filesystem::path base = std::filesystem::path("var") / "journal";
    std::filesystem::path dir = base / (session + "-" + stamp);
    // Reserved by creating it (create_directory is false when it exists): two sessions started
    // in the same second get a directory each, never one journal between them.
    std::error_code ec;
    std::filesystem::create_directories(base, ec);
    for (int n = 2; !ec && !std::filesystem::create_directory(dir, ec) && !ec; ++n) {
        dir = base / (session + "-" + stamp + "-" + std::to_string(n));
    }
    return dir;  // (on an error, the session names it when it cannot create the directory)
}

// "HOST:PORT" (the port may be 0: any free one); false when it is not that.
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
        text.size() - colon - 1 > 5)
        return false;
    std::uint32_t n = 0;
    for (std::size_t i = colon + 1; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        n = n * 10 + static_cast<std::uint32_t>(text[i] - '0');
    }
    if (n > 65535)
        return false;
    host = text.substr(0, colon);
    port = static_cast<std::uint16_t>(n);
    return true;
}

}  // namespace keel::tools
