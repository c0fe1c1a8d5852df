#include "feed_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "command_support.hpp"
#include "keel/adapters/csv/csv_source.hpp"
#include "keel/adapters/feed/feed_server.hpp"
#include "keel/exit_code.hpp"
#include "keel/replay/session/backtest.hpp"

namespace keel::tools {
namespace {

// The market data of the --csv files, in time order, and the symbols' names by id.
struct FeedData {
    std::vector<engine::Event> events;
    std::vector<std::string> names;
    adapters::CsvLoadStats stats;
};

// Loads the files; nullopt after saying on stderr what is wrong with them.
std::optional<FeedData> load_feed_data(const std::vector<adapters::CsvFileSpec>& files) {
    engine::SymbolTable symbols(4096);
    std::string error;
    auto source = adapters::CsvSource::open(files, symbols, 0, error);
    if (!source) {
        // The loader's messages name the backtest's config keys; say which flag sets them here.
        if (error.find("bar_interval") != std::string::npos)
            error += " (keel feed: --bar-interval)";
        else if (error.find("no symbol column") != std::string::npos)
            error += " (keel feed: --symbol SYM or --csv SYM=FILE)";
        std::cerr << "keel: " << error << "\n";
        return std::nullopt;
    }
    FeedData data;
    data.stats = source->stats();
    if (data.stats.alerts + data.stats.commands > 0) {
        std::cerr << "keel: keel feed serves trades, quotes and bars; alerts reach a session "
                     "through the webhook and commands through the control API\n";
        return std::nullopt;
    }
    data.events.reserve(source->event_count());
    engine::Event e{};
    while (source->poll(e) == engine::InputSource::Poll::event) {
        if (engine::is_market_data(e.header.type))
            data.events.push_back(e);
    }
    for (std::size_t id = 0; id < symbols.size(); ++id)
        data.names.emplace_back(symbols.name(static_cast<engine::SymbolId>(id)));
    return data;
}

}  // namespace

void FeedCommand::add(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "feed",
        "Serve recorded market data (the CSV formats of keel backtest) as a live feed in keel's "
        "line format, over TCP (one JSON object per line) or WebSocket. Each client gets the "
        "whole replay from the first message, whenever it connects. Exit 0 when the data has "
        "been served (or the client went away), 2 on bad flags or files");
    cmd_->add_option("--csv", csv_,
                     "[SYMBOL=]FILE: a CSV file of trades, quotes or bars; repeatable (files "
                     "merge by time). SYMBOL names a file without a symbol column")
        ->required()
        ->allow_extra_args(true);
    cmd_->add_option("--listen", listen_, "HOST:PORT to listen on (port 0: any free port)")
        ->required();
    cmd_->add_flag("--ws", ws_, "Serve WebSocket (one text message per event) instead of lines");
    auto* speed =
        cmd_->add_option("--speed", speed_, "Replay X times faster than the recorded timestamps");
    speed->check(CLI::PositiveNumber);
    auto* rate = cmd_->add_option("--rate", rate_, "Send N messages per second");
    rate->check(CLI::PositiveNumber);
    speed->excludes(rate);
    cmd_->add_option("--symbol", symbol_,
                     "The symbol of files without a symbol column (SYMBOL=FILE overrides)");
    cmd_->add_option("--bar-interval", bar_interval_,
                     "Bar interval of bar files (e.g. 30m, 1h, 1d): each bar is stamped at its "
                     "close");
    cmd_->add_flag("--loop", loop_,
                   "At the end, start over (timestamps move on by the data's span); runs until "
                   "SIGINT or SIGTERM");
}

bool FeedCommand::selected() const {
    return cmd_->parsed();
}

int FeedCommand::run() {
    install_stop_handlers();
    adapters::feed::FeedServerOptions options;
    if (!parse_host_port(listen_, options.host, options.port)) {
        std::cerr << "keel: --listen '" << listen_
                  << "': expected HOST:PORT (e.g. 127.0.0.1:9100)\n";
        return kExitUsage;
    }
    options.protocol = ws_ ? adapters::feed::FeedProtocol::ws : adapters::feed::FeedProtocol::tcp;
    options.speed = speed_;
    options.rate = rate_;
    options.loop = loop_;

    std::optional<std::int64_t> interval_s;
    if (!bar_interval_.empty()) {
        const auto minutes = adapters::parse_timeframe_minutes(bar_interval_);
        if (!minutes) {
            std::cerr << "keel: --bar-interval '" << bar_interval_
                      << "': expected minutes or e.g. 30m, 1h, 1d\n";
            return kExitUsage;
        }
        interval_s = std::int64_t{*minutes} * 60;
    }
    std::vector<adapters::CsvFileSpec> files;
    for (const std::string& arg : csv_) {
        const replay::DataArg d = replay::parse_data_arg(arg);
        files.push_back({d.path, d.path, d.symbol.empty() ? symbol_ : d.symbol, interval_s});
    }
    std::optional<FeedData> data = load_feed_data(files);
    if (!data)
        return kExitUsage;
    const std::size_t count = data->events.size();
    const adapters::CsvLoadStats& stats = data->stats;
    adapters::feed::FeedServer server(std::move(data->events), std::move(data->names), options);
    std::string error;
    if (!server.listen(error)) {
        std::cerr << "keel: " << error << "\n";
        return kExitUsage;
    }
    std::cout << "keel feed: serving " << count << " messages (" << stats.trades << " trades, "
              << stats.quotes << " quotes, " << stats.bars << " bars) on " << (ws_ ? "ws" : "tcp")
              << "://" << options.host << ":" << server.port() << std::endl;
    server.run(g_stop);
    std::cout << "keel feed: sent " << server.messages_sent() << " messages to " << server.clients()
              << " client" << (server.clients() == 1 ? "" : "s") << std::endl;
    return kExitOk;
}

}  // namespace keel::tools
