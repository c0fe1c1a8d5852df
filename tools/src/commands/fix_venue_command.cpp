#include "fix_venue_command.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/adapters/feed/feed_client.hpp"
#include "keel/adapters/fix/fix_test_venue.hpp"
#include "keel/adapters/input/live_input_queue.hpp"
#include "keel/exit_code.hpp"

namespace keel::tools {
namespace {

// NAME=N (or a bare NAME for the yes/no faults) onto the faults; false with why.
bool parse_fault(const std::string& text, adapters::fix::FixVenueFaults& f, std::string& why) {
    const auto eq = text.find('=');
    const std::string name = text.substr(0, eq);
    std::uint64_t n = 1;
    if (eq != std::string::npos) {
        try {
            std::size_t used = 0;
            n = std::stoull(text.substr(eq + 1), &used);
            if (used != text.size() - eq - 1)
                throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            why = "'" + text + "': expected NAME=N with N a whole number";
            return false;
        }
    }
    if (name == "drop_after") f.drop_after = n;
    else if (name == "drop_report_every") f.drop_report_every = n;
    else if (name == "duplicate_every") f.duplicate_every = n;
    else if (name == "delay_ms") f.delay_ms = static_cast<std::int64_t>(n);
    else if (name == "reject_logon") f.reject_logon = n != 0;
    else if (name == "restate_every") f.restate_every = n;
    else if (name == "reset_after") f.reset_after = n;
    else if (name == "unknown_status") f.unknown_status = n != 0;
    else if (name == "foreign_order" && n > 2) {
        why = "'" + text + "': foreign_order is 0 (none), 1 (unfilled) or 2 (part filled)";
        return false;
    }
    else if (name == "foreign_order") f.foreign_order = static_cast<std::uint32_t>(n);
    else if (name == "resend_after") f.resend_after = n;
    else {
        why = "unknown fault '" + name + "' (drop_after, drop_report_every, duplicate_every, "
              "delay_ms, reject_logon, restate_every, reset_after, unknown_status, foreign_order, resend_after)";
        return false;
    }
    return true;
}

std::optional<adapters::MatchMode> parse_mode(const std::string& m) {
    if (m == "ticks") return adapters::MatchMode::ticks;
    if (m == "bars") return adapters::MatchMode::bars;
    if (m == "per_event") return adapters::MatchMode::per_event;
    return std::nullopt;
}

}  // namespace

void FixVenueCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "fix-venue",
        "Run the FIX 4.4 test venue: a QuickFIX acceptor whose matching is keel's simulated "
        "venue, priced by a `keel feed`, with scriptable faults. It keeps its own account and "
        "writes it (cash, positions, fills, duplicate ClOrdIDs) to --account at exit. Runs "
        "until SIGINT or SIGTERM; exit 0, 2 on bad flags");
    cmd_->add_option("--listen", listen_, "HOST:PORT to accept on (port 0: any free port)")
        ->required();
    cmd_->add_option("--sender", sender_, "The venue's SenderCompID (keel's TargetCompID)")
        ->capture_default_str();
    cmd_->add_option("--target", target_, "keel's SenderCompID")->capture_default_str();
    cmd_->add_option("--store", store_, "Directory of the venue's FIX sequence-number store")
        ->capture_default_str();
    cmd_->add_option("--feed", feed_, "HOST:PORT of a `keel feed` (TCP) whose prices it matches on");
    cmd_->add_option("--symbols", symbols_, "The symbols it trades (comma-separated)")
        ->delimiter(',')
        ->required();
    cmd_->add_option("--mode", mode_, "Matching: ticks, bars or per_event (sim_venue.hpp)")
        ->capture_default_str();
    cmd_->add_option("--fault", faults_,
                     "NAME=N, repeatable: drop_after (drop the connection after every N "
                     "messages in), drop_report_every, duplicate_every, delay_ms, reject_logon, "
                     "restate_every, reset_after, unknown_status, foreign_order (hold an "
                     "order another client placed: 1 unfilled, 2 part filled), resend_after (drop after every N messages "
                     "in and ask for the last again)");
    cmd_->add_option("--account", account_, "Write the venue's account as JSON here at exit");
    cmd_->add_option("--buying-power", buying_power_, "The venue account's buying power")
        ->capture_default_str();
    cmd_->add_option("--max-age-ms", max_age_ms_,
                     "Count an order, cancel or replace that arrives more than this many ms "
                     "after the client first sent it (SendingTime, or OrigSendingTime on a "
                     "resend) as late_orders in the account (0: off)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
}

bool FixVenueCommand::selected() const {
    return cmd_->parsed();
}

int FixVenueCommand::run() {
    install_stop_handlers();
    adapters::fix::FixTestVenueOptions options;
    std::uint16_t port = 0;
    if (!parse_host_port(listen_, options.session.host, port)) {
        std::cerr << "keel: --listen '" << listen_ << "': expected HOST:PORT\n";
        return kExitUsage;
    }
    options.session.port = port;
    options.session.sender_comp_id = sender_;
    options.session.target_comp_id = target_;
    options.session.store_dir = store_;
    options.max_order_age_ms = max_age_ms_;
    const auto mode = parse_mode(mode_);
    if (!mode) {
        std::cerr << "keel: --mode '" << mode_ << "': expected ticks, bars or per_event\n";
        return kExitUsage;
    }
    options.matching.mode = *mode;
    if (engine::parse_decimal(buying_power_, options.matching.buying_power.raw) !=
            engine::DecimalError::ok ||
        options.matching.buying_power.raw <= 0) {
        std::cerr << "keel: --buying-power '" << buying_power_ << "': expected a positive decimal\n";
        return kExitUsage;
    }
    for (const std::string& f : faults_) {
        std::string why;
        if (!parse_fault(f, options.faults, why)) {
            std::cerr << "keel: --fault " << why << "\n";
            return kExitUsage;
        }
    }
    engine::SymbolTable symbols(symbols_.size() + 1);
    for (const std::string& s : symbols_)
        (void)symbols.intern(s);
    adapters::fix::FixTestVenue venue(options, symbols);
    std::string error;
    if (!venue.open(error) || !venue.poll(error)) {
        std::cerr << "keel: fix-venue: " << error << "\n";
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
    std::cout << "keel fix-venue: accepting " << target_ << " -> " << sender_ << " on "
              << options.session.host << ":" << venue.port() << std::endl;
    while (!g_stop.load()) {
        error.clear();
        venue.poll(error);
        if (!error.empty())
            std::cerr << "keel: fix-venue: " << error << "\n";
        engine::Event e{};
        bool priced = false;
        while (prices.poll(e) == engine::InputSource::Poll::event) {
            if (engine::is_market_data(e.header.type))
                venue.on_market_data(e);
            priced = true;
        }
        if (!priced)
            std::this_thread::sleep_for(std::chrono::microseconds(50));  // idle: a tool, not a stage
    }
    if (feed)
        feed->stop();
    venue.stop();
    if (!account_.empty()) {
        std::ofstream(account_) << venue.account_json() << "\n";
    }
    const auto& c = venue.counters();
    std::cout << "keel fix-venue: " << c.messages_in << " messages in, " << c.reports_sent
              << " reports sent, " << c.duplicate_cl_ord_ids << " duplicate ClOrdIDs, "
              << c.unknown_orders << " unknown orders" << std::endl;
    return kExitOk;
}

}  // namespace keel::tools
