// AlpacaTestServer's life: opening (TLS context, acceptor, foreign order), the tick that feeds
// prices, market data, and the fault parser. Sessions: alpaca_test_server_http.cpp and
// alpaca_test_server_stream.cpp.
#include "alpaca_test_server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <charconv>

namespace keel::adapters::alpaca {

namespace {

// One fault's name, what N may be, and where it goes.
struct FaultSpec {
    const char* name;
    std::uint64_t min, max;
    const char* range;  // said when N is outside [min, max]
    void (*apply)(AlpacaServerFaults&, std::uint64_t);
};

constexpr std::uint64_t kAny = UINT64_MAX;

// clang-format off
constexpr FaultSpec kFaults[] = {
    {"rate_limit", 1, 1'000'000, "rate_limit is 1 to 1000000 requests a window",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.rate_limit = n; }},
    {"rate_window_s", 1, 3600, "rate_window_s is 1 to 3600 seconds",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.rate_window_s = n; }},
    {"error_every", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.error_every = n; }},
    {"error_code", 500, 504, "error_code is 500 or 504",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.error_code = static_cast<std::uint32_t>(n); }},
    {"accept_then_hang_every", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.accept_then_hang_every = n; }},
    {"stream_drop_after", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.stream_drop_after = n; }},
    {"duplicate_every", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.duplicate_every = n; }},
    {"reorder_every", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.reorder_every = n; }},
    {"partial_fills", 0, 1000, "partial_fills is 0 to 1000 executions a fill",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.partial_fills = n; }},
    {"reject_every", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.reject_every = n; }},
    {"expire_key_after", 0, kAny, "",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.expire_key_after = n; }},
    {"foreign_order", 0, 2, "foreign_order is 0 (none), 1 (unfilled) or 2 (part filled)",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.foreign_order = static_cast<std::uint32_t>(n); }},
    {"delay_ms", 0, 60'000, "delay_ms is 0 to 60000",
     [](AlpacaServerFaults& f, std::uint64_t n) { f.delay_ms = static_cast<std::int64_t>(n); }},
};
// clang-format on

}  // namespace

std::optional<std::string> parse_fault(std::string_view text, AlpacaServerFaults& faults) {
    const std::size_t eq = text.find('=');
    const std::string_view name = text.substr(0, eq);
    std::uint64_t n = 1;
    if (eq != std::string_view::npos) {
        const std::string_view value = text.substr(eq + 1);
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size())
            return "'" + std::string(text) + "': expected NAME=N with N a whole number";
    }
    std::string names;
    for (const FaultSpec& spec : kFaults) {
        if (name == spec.name) {
            if (n < spec.min || n > spec.max || (name == "error_code" && n != 500 && n != 504))
                return "'" + std::string(text) + "': " + spec.range;
            spec.apply(faults, n);
            return std::nullopt;
        }
        names += names.empty() ? "" : ", ";
        names += spec.name;
    }
    return "unknown fault '" + std::string(name) + "' (" + names + ")";
}

AlpacaTestServer::Impl::Impl(AlpacaServerOptions o, engine::SymbolTable s)
    : options(std::move(o)), symbols(std::move(s)) {
    book = std::make_unique<ServerBook>(options, symbols, counters, [this](std::string json) {
        if (events_on)
            on_event(std::move(json));
    });
}

void AlpacaTestServer::Impl::on_market_data(const engine::Event& event) {
    // Orders are stamped with their arrival, market data with its own, so it matches orders
    // that came before it.
    engine::Event stamped = event;
    stamped.header.ts_ns = wall_clock_ns();
    book->on_market_data(stamped);
}

// Fixed prices (--price): one trade print of unknown size per symbol, so a market order fills
// at the price whole and a limit through it fills.
void AlpacaTestServer::Impl::print_prices() {
    for (const auto& [name, price] : options.prices) {
        const auto id = symbols.find(name);
        if (!id)
            continue;
        engine::Event e =
            engine::make_event(engine::EventType::trade, engine::Source::feed, 0, 0, *id);
        e.payload.trade.price = price;
        e.payload.trade.size = engine::kSizeUnknown;
        e.payload.trade.aggressor = engine::Side::none;
        on_market_data(e);
    }
}

void AlpacaTestServer::Impl::schedule_tick() {
    tick_timer.expires_after(std::chrono::milliseconds(1));
    tick_timer.async_wait([this](boost::system::error_code ec) {
        if (ec)
            return;
        if (tick && !tick()) {
            io.stop();
            return;
        }
        if (book->take_arrivals())
            print_prices();
        schedule_tick();
    });
}

AlpacaTestServer::AlpacaTestServer(AlpacaServerOptions options, engine::SymbolTable symbols)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(symbols))) {}

AlpacaTestServer::~AlpacaTestServer() = default;

std::optional<std::string> AlpacaTestServer::open() {
    Impl& s = *impl_;
    if (const auto problems = validate(s.options.matching); !problems.empty())
        return "matching: " + problems.front();
    for (const auto& [name, price] : s.options.prices)
        if (!s.symbols.find(name) || price.raw <= 0)
            return "price " + name + ": not a symbol it trades, or not positive";
    boost::system::error_code ec;
    s.tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
    if (s.tls.use_certificate_chain_file(s.options.cert_file, ec); ec)
        return "certificate " + s.options.cert_file + ": " + ec.message();
    if (s.tls.use_private_key_file(s.options.key_file, asio::ssl::context::pem, ec); ec)
        return "key " + s.options.key_file + ": " + ec.message();
    const auto address = asio::ip::make_address(s.options.host, ec);
    if (ec)
        return "host " + s.options.host + ": not an IP address";
    const asio::ip::tcp::endpoint endpoint(address, s.options.port);
    if (s.acceptor.open(endpoint.protocol(), ec); !ec)
        s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        s.acceptor.bind(endpoint, ec);
    if (!ec)
        s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return "listen on " + s.options.host + ":" + std::to_string(s.options.port) + ": " +
               ec.message();
    s.port = s.acceptor.local_endpoint().port();
    if (s.options.faults.foreign_order != 0)
        s.book->place_foreign_order();
    s.events_on = true;
    asio::co_spawn(s.io, s.accept_loop(), rethrow);
    return std::nullopt;
}

void AlpacaTestServer::every_ms(std::function<bool()> tick) {
    impl_->tick = std::move(tick);
}

void AlpacaTestServer::run() {
    if (impl_->tick || !impl_->options.prices.empty())
        impl_->schedule_tick();
    impl_->io.run();
}

void AlpacaTestServer::stop() {
    impl_->io.stop();
}

int AlpacaTestServer::port() const {
    return impl_->port;
}

void AlpacaTestServer::on_market_data(const engine::Event& event) {
    impl_->on_market_data(event);
}

void AlpacaTestServer::post_market_data(const engine::Event& event) {
    Impl* s = impl_.get();
    asio::post(s->io, [s, event] { s->on_market_data(event); });
}

const AlpacaServerCounters& AlpacaTestServer::counters() const {
    return impl_->counters;
}

std::string AlpacaTestServer::account_json() const {
    return impl_->book->account_json();
}

}  // namespace keel::adapters::alpaca
