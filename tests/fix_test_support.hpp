// What the FIX tests over a loopback socket share: a scratch directory per test, the FIX test
// venue (acceptor, tick matching, symbol MSFT), its prices, and polling until a condition holds
// (the deadline is a hang guard, not a timing check: each step takes a few turns when it works).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "keel/adapters/fix/fix_test_venue.hpp"

namespace keel::test {

class FixVenueFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("keel_fix_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override {
        close_clients();
        venue_.reset();
        std::filesystem::remove_all(dir_);
    }
    // The clients go before the venue.
    virtual void close_clients() = 0;
    // One turn of the clients' sessions.
    virtual void poll_clients() = 0;

    void open_venue(const adapters::fix::FixVenueFaults& faults = {}) {
        adapters::fix::FixTestVenueOptions o;
        o.session.sender_comp_id = "VENUE";
        o.session.target_comp_id = "KEEL";
        o.session.store_dir = (dir_ / "venue").string();
        o.matching.mode = adapters::MatchMode::ticks;
        o.faults = faults;
        o.max_order_age_ms = max_order_age_ms_;
        engine::SymbolTable symbols(2);
        (void)symbols.intern("MSFT");
        venue_ = std::make_unique<adapters::fix::FixTestVenue>(o, std::move(symbols));
        std::string error;
        ASSERT_TRUE(venue_->open(error)) << error;
        ASSERT_TRUE(venue_->poll(error)) << error;
    }
    void trade(std::int64_t units) {
        engine::Event t =
            engine::make_event(engine::EventType::trade, engine::Source::feed, 0, 1, 0);
        t.payload.trade.price = engine::Price::from_units(units);
        t.payload.trade.size = engine::Quantity::from_units(1000);
        venue_->on_market_data(t);
    }
    bool pump(const std::function<bool()>& done) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < give_up) {
            std::string error;
            venue_->poll(error);
            if (!error.empty()) {
                ADD_FAILURE() << error;
                return false;
            }
            poll_clients();
            if (done())
                return true;
        }
        return false;
    }

    std::filesystem::path dir_;
    std::int64_t max_order_age_ms_ = 0;  // the venue's limit (open_venue)
    std::unique_ptr<adapters::fix::FixTestVenue> venue_;
};

}  // namespace keel::test
