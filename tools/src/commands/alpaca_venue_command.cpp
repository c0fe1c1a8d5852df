#include "alpaca_venue_command.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/adapters/alpaca/alpaca_test_server.hpp"
#include "keel/adapters/feed/feed_client.hpp"
#include "keel/adapters/input/live_input_queue.hpp"
#include "keel/exit_code.hpp"

namespace keel::tools {
namespace {

constexpr const char* kKeyIdEnv = "KEEL_ALPACA_VENUE_KEY_ID";
constexpr const char* kSecretEnv = "KEEL_ALPACA_VENUE_SECRET_KEY";

std::optional<adapters::MatchMode> parse_mode(const std::string& m) {
    if (m == "ticks")
        return adapters::MatchMode::ticks;
    if (m == "bars")
        return adapters::MatchMode::bars;
    if (m == "per_event")
        return adapters::MatchMode::per_event;
    return std::nullopt;
}

// SYMBOL=P onto the fixed prices; false when it is not that with P a positive decimal.
bool parse_price(const std::string& text, adapters::alpaca::AlpacaServerOptions& options) {
    const auto eq = text.find('=');
    engine::Price price{};
    if (eq == std::string::npos || eq == 0 ||
        engine::parse_decimal(text.substr(eq + 1), price.raw) != engine::DecimalError::ok ||
        price.raw <= 0)
        return false;
    options.prices.emplace_back(text.substr(0, eq), price);
    return true;
}

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

}  // namespace

void AlpacaVenueCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "alpaca-venue",
        "Run the local Alpaca-compatible server: Alpaca's REST v2 (orders, positions, account) "
        "and trade_updates stream over TLS on one port, matching through keel's simulated "
        "venue, priced by a `keel feed` and/or --price, with scriptable faults. The account's "
        "keys come from " +
            std::string(kKeyIdEnv) + " and " + kSecretEnv +
            ". It writes its account (cash, positions, fills, counters) to --account at exit. "
            "Runs until SIGINT or SIGTERM; exit 0, 2 on bad flags");
    cmd_->add_option("--listen", listen_, "HOST:PORT to accept on (port 0: any free port)")
        ->required();
    cmd_->add_option("--cert", cert_, "PEM certificate (chain) the TLS acceptor presents")
        ->required();
    cmd_->add_option("--key", key_, "PEM private key of --cert")->required();
    cmd_->add_option("--symbols", symbols_, "The symbols it trades (comma-separated)")
        ->delimiter(',')
        ->required();
    cmd_->add_option("--feed", feed_,
                     "HOST:PORT of a `keel feed` (TCP) whose prices it matches on");
    cmd_->add_option("--price", prices_,
                     "SYMBOL=P, repeatable: a fixed price, printed to the matching as a trade "
                     "after each order or replace arrives");
    cmd_->add_option("--mode", mode_, "Matching: ticks, bars or per_event (sim_venue.hpp)")
        ->capture_default_str();
    cmd_->add_option(
        "--fault", faults_,
        "NAME=N, repeatable: rate_limit (requests a window), rate_window_s (60), error_every and "
        "error_code (500|504), accept_then_hang_every, stream_drop_after, "
        "duplicate_every, reorder_every, partial_fills, reject_every, "
        "expire_key_after, foreign_order (1 unfilled, 2 part filled), delay_ms");
    cmd_->add_option("--account", account_, "Write the server's account as JSON here at exit");
    cmd_->add_option("--buying-power", buying_power_, "The account's buying power")
        ->capture_default_str();
    cmd_->add_flag("--text-frames", text_frames_,
                   "Send trade_updates in text frames (paper Alpaca sends binary ones)");
}

bool AlpacaVenueCommand::selected() const {
    return cmd_->parsed();
}

int AlpacaVenueCommand::read_options(adapters::alpaca::AlpacaServerOptions& options) const {
    if (!parse_host_port(listen_, options.host, options.port)) {
        std::cerr << "keel: --listen '" << listen_ << "': expected HOST:PORT\n";
        return kExitUsage;
    }
    options.cert_file = cert_;
    options.key_file = key_;
    options.key_id = env(kKeyIdEnv);
    options.secret_key = env(kSecretEnv);
    if (options.key_id.empty() || options.secret_key.empty()) {
        std::cerr << "keel: alpaca-venue: set the account's keys in " << kKeyIdEnv << " and "
                  << kSecretEnv << " (not flags: a command line is visible to every user)\n";
        return kExitUsage;
    }
    const auto mode = parse_mode(mode_);
    if (!mode) {
        std::cerr << "keel: --mode '" << mode_ << "': expected ticks, bars or per_event\n";
        return kExitUsage;
    }
    options.matching.mode = *mode;
    if (engine::parse_decimal(buying_power_, options.matching.buying_power.raw) !=
            engine::DecimalError::ok ||
        options.matching.buying_power.raw <= 0) {
        std::cerr << "keel: --buying-power '" << buying_power_
                  << "': expected a positive decimal\n";
        return kExitUsage;
    }
    for (const std::string& p : prices_) {
        if (!parse_price(p, options)) {
            std::cerr << "keel: --price '" << p
                      << "': expected SYMBOL=P with P a positive decimal\n";
            return kExitUsage;
        }
    }
    for (const std::string& f : faults_) {
        if (const auto why = adapters::alpaca::parse_fault(f, options.faults)) {
            std::cerr << "keel: --fault " << *why << "\n";
            return kExitUsage;
        }
    }
    options.text_frames = text_frames_;
    return kExitOk;
}

int AlpacaVenueCommand::run() {
    install_stop_handlers();
    adapters::alpaca::AlpacaServerOptions options;
    if (const int rc = read_options(options); rc != kExitOk)
        return rc;
    engine::SymbolTable symbols(symbols_.size() + 1);
    for (const std::string& s : symbols_)
        (void)symbols.intern(s);
    adapters::alpaca::AlpacaTestServer server(options, symbols);
    if (const auto problem = server.open()) {
        std::cerr << "keel: alpaca-venue: " << *problem << "\n";
        return kExitUsage;
    }
    adapters::LiveInputQueue prices;
    std::unique_ptr<adapters::feed::FeedClient> feed;
    if (!feed_.empty()) {
        adapters::feed::FeedClientOptions fo;
        if (!parse_host_port(feed_, fo.host, fo.port)) {
            std::cerr << "keel: --feed '" << feed_ << "': expected HOST:PORT\n";
            return kExitUsage;
        }
        feed = std::make_unique<adapters::feed::FeedClient>(fo, symbols, prices);
        feed->start();
    }
    // The server's one thread is this one: every millisecond it takes the feed's prices and
    // looks at the stop flag the signal handlers set.
    server.every_ms([&] {
        engine::Event e{};
        while (prices.poll(e) == engine::InputSource::Poll::event)
            if (engine::is_market_data(e.header.type))
                server.on_market_data(e);
        return !g_stop.load();
    });
    std::cout << "keel alpaca-venue: listening on " << options.host << ":" << server.port()
              << std::endl;
    server.run();
    if (feed)
        feed->stop();
    if (!account_.empty())
        std::ofstream(account_) << server.account_json() << "\n";
    const auto& c = server.counters();
    std::cout << "keel alpaca-venue: " << c.requests << " requests, " << c.orders_placed
              << " orders placed, " << c.reused_client_order_ids << " client ids reused, "
              << c.unknown_orders << " unknown orders, " << c.events_sent << " events sent"
              << std::endl;
    return kExitOk;
}

}  // namespace keel::tools
