// Proves restart recovery: a session whose journal was cut at random points (each stream's
// last records dropped, a torn record left behind, as a crash leaves them) and then continued
// ends with the same journal, fills, positions and cash as an uninterrupted run, sends no
// order twice, drops (with a journaled reason, and replayably) an order the crash kept from
// being sent instead of sending it late, and refuses a journal written under another
// configuration or seed, or one its re-derivation disagrees with.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "keel/adapters/sim_venue/split_mix64.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/journal/cursor.hpp"
#include "keel/journal/writer.hpp"
#include "keel/journal/writer_lock.hpp"
#include "keel/replay/replay/recovery.hpp"
#include "keel/replay/reports/replay_report.hpp"
#include "keel/replay/session/session.hpp"

using namespace keel;

namespace {

namespace fs = std::filesystem;

const char* kConfig = R"({
  "session": {"name": "recovery"},
  "data": {"files": [
    {"path": "data/usdchf_30m.csv", "symbol": "USDCHF"},
    {"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"},
    {"path": "tests/data/demo_commands.csv"}]},
  "strategies": [
    {"type": "sma_cross", "symbol": "USDCHF", "timeframe": "30m", "fast": 48, "slow": 240,
     "quantity": "100000", "allow_short": true},
    {"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30, "quantity": "100"}],
  "risk": {"max_order_qty": "250000"},
  "venue": {"type": "sim"},
  "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"],
               "idle": "yield"}]
})";

const char* kStreams[] = {"input", "strategy", "risk", "gateway"};

using Record = replay::JournaledRecord;

std::vector<Record> read_stream(const fs::path& dir, const std::string& stream) {
    std::vector<Record> out;
    std::string error;
    EXPECT_TRUE(replay::read_records(dir, stream, out, error)) << error;
    return out;
}

void write_stream(const fs::path& dir, const std::string& stream,
                  const std::vector<Record>& records) {
    journal::WriterOptions o;
    o.segment_bytes = 64 << 10;  // several segments, so the restart appends after a roll
    std::unique_ptr<journal::StreamWriter> w;
    ASSERT_TRUE(journal::StreamWriter::open(dir, stream, o, w).ok());
    for (const Record& r : records) {
        ASSERT_TRUE(w->append(r.type, r.seq, r.ts_ns, r.bytes.data(),
                              static_cast<std::uint32_t>(r.bytes.size()))
                        .ok());
    }
    ASSERT_TRUE(w->close().ok());
}

// Leaves the first bytes of a record at the end of a stream's last segment: a torn append.
void tear(const fs::path& dir, const std::string& stream) {
    fs::path last;
    for (const auto& f : fs::directory_iterator(dir)) {
        const std::string name = f.path().filename().string();
        if (name.rfind(stream + ".", 0) == 0 && f.path().extension() == ".seg" && f.path() > last)
            last = f.path();
    }
    std::ofstream out(last, std::ios::binary | std::ios::app);
    const unsigned char partial[20] = {0x12, 0x34, 0x56, 0x78, 0x40, 0, 0, 0, 3, 0};
    out.write(reinterpret_cast<const char*>(partial), sizeof partial);
}

class Recovery : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("keel_recovery_" + std::to_string(::getpid()));
        fs::remove_all(base_);
        fs::create_directories(base_);
        cr_ = engine::parse_config(kConfig, "test", KEEL_SOURCE_DIR, {});
        ASSERT_TRUE(cr_.ok()) << cr_.errors.front().path << ": " << cr_.errors.front().message;
        full_ = run(cr_.config, base_ / "full", error_);
        ASSERT_TRUE(full_) << error_;
        ASSERT_GT(full_->fills, 10u);
        for (const char* s : kStreams)
            streams_.push_back(read_stream(base_ / "full", s));
    }
    void TearDown() override { fs::remove_all(base_); }

    static std::optional<replay::SessionReport> run(const engine::Config& config,
                                                    const fs::path& dir, std::string& error) {
        std::atomic<bool> stop{false};
        replay::SessionOptions o;
        o.journal_dir = dir;
        return replay::run_session(config, stop, o, error);
    }

    // The full journal as a crash after input `last` might have left it: inputs up to it,
    // and of each derived stream a prefix of the records caused by those inputs. The gateway
    // keeps every order_sent of those inputs: a crash that cuts one off is a different story
    // (the order was never sent, and is dropped: UnsentOrders... below).
    fs::path crashed(const std::string& name, std::uint64_t last, adapters::SplitMix64& rng,
                     bool torn) {
        const fs::path dir = base_ / name;
        fs::create_directories(dir);
        for (std::size_t s = 0; s < streams_.size(); ++s) {
            std::vector<Record> kept;
            for (const Record& r : streams_[s]) {
                if (r.seq <= last)
                    kept.push_back(r);
            }
            std::size_t keep_at_least = 0;
            for (std::size_t i = 0; s == 3 && i < kept.size(); ++i) {
                if (kept[i].type == static_cast<std::uint16_t>(engine::EventType::order_sent))
                    keep_at_least = i + 1;
            }
            if (s > 0 && !kept.empty()) {
                const std::size_t drop =
                    rng.uniform_inclusive(std::min<std::uint64_t>(3, kept.size()));
                kept.resize(std::max(kept.size() - drop, keep_at_least));
            }
            write_stream(dir, kStreams[s], kept);
            if (torn)
                tear(dir, kStreams[s]);
        }
        return dir;
    }

    fs::path base_;
    engine::ConfigResult cr_;
    std::string error_;
    std::optional<replay::SessionReport> full_;
    std::vector<std::vector<Record>> streams_;
};

TEST_F(Recovery, SessionCutAtRandomPointsAndContinuedEqualsTheUninterruptedRun) {
    adapters::SplitMix64 rng(20240611);
    const std::uint64_t n = full_->last_seq;
    // Cut points spread over the session, and the places a crash most likely hits an order in
    // flight: just after each of a few order_sent records (its replies not yet sequenced).
    std::vector<std::uint64_t> cuts = {2, 3, n - 1};
    for (int i = 0; i < 8; ++i)
        cuts.push_back(1 + rng.uniform_inclusive(n - 2));
    int sent_seen = 0;
    for (const Record& r : streams_[3]) {
        if (r.type == static_cast<std::uint16_t>(engine::EventType::order_sent) &&
            ++sent_seen % 40 == 1)
            cuts.push_back(r.seq);
    }
    std::uint64_t in_doubt = 0;
    for (std::size_t k = 0; k < cuts.size(); ++k) {
        SCOPED_TRACE("cut after input " + std::to_string(cuts[k]));
        const fs::path dir = crashed("cut" + std::to_string(k), cuts[k], rng, k % 2 == 0);
        std::string error;
        const auto r = run(cr_.config, dir, error);
        ASSERT_TRUE(r) << error;
        ASSERT_EQ(r->journal_error, "");
        EXPECT_TRUE(r->restarted);
        in_doubt += r->restart_in_doubt_replies;
        EXPECT_EQ(r->venue_duplicate_order_ids, 0u);
        EXPECT_EQ(r->fills, full_->fills);
        EXPECT_EQ(r->orders_sent, full_->orders_sent);
        EXPECT_EQ(r->cash.raw, full_->cash.raw);
        EXPECT_EQ(r->realized.raw, full_->realized.raw);
        ASSERT_EQ(r->symbols.size(), full_->symbols.size());
        for (std::size_t s = 0; s < r->symbols.size(); ++s) {
            EXPECT_EQ(r->symbols[s].position_raw, full_->symbols[s].position_raw);
            EXPECT_EQ(r->symbols[s].fills, full_->symbols[s].fills);
        }
        // Fused, the continued journal is the uninterrupted one, record for record.
        for (std::size_t s = 0; s < streams_.size(); ++s) {
            const std::vector<Record> got = read_stream(dir, kStreams[s]);
            ASSERT_EQ(got.size(), streams_[s].size()) << kStreams[s];
            for (std::size_t i = 0; i < got.size(); ++i)
                ASSERT_TRUE(got[i] == streams_[s][i]) << kStreams[s] << " record " << i;
        }
    }
    // Some cuts fell between an order being sent and its answer being sequenced.
    EXPECT_GT(in_doubt, 0u);
}

TEST_F(Recovery, AnOrderDerivedButNeverSentIsDroppedWithAJournaledReasonNotSentLate) {
    // A crash between risk approving an order and the gateway journaling it as sent: the
    // inputs, strategy and risk streams hold everything up to its cause; the gateway stream
    // ends just before its order_sent (write-ahead: so the venue never saw it).
    const auto sent_type = static_cast<std::uint16_t>(engine::EventType::order_sent);
    std::size_t cut = 0;
    int seen = 0;
    for (std::size_t i = 0; i < streams_[3].size(); ++i) {
        if (streams_[3][i].type == sent_type && ++seen == 5) {
            cut = i;
            break;
        }
    }
    ASSERT_GT(cut, 0u);
    const Record& unsent = streams_[3][cut];
    engine::Event unsent_event;
    std::memcpy(&unsent_event, unsent.bytes.data(), sizeof unsent_event);
    const std::uint64_t order_id = unsent_event.payload.order.order_id;
    const std::uint64_t cause = unsent.seq;
    const fs::path dir = base_ / "unsent";
    fs::create_directories(dir);
    for (std::size_t s = 0; s < 3; ++s) {
        std::vector<Record> kept;
        for (const Record& r : streams_[s]) {
            if (r.seq <= cause)
                kept.push_back(r);
        }
        write_stream(dir, kStreams[s], kept);
    }
    write_stream(dir, "gateway",
                 std::vector<Record>(streams_[3].begin(),
                                     streams_[3].begin() + static_cast<std::ptrdiff_t>(cut)));

    std::string error;
    const auto r = run(cr_.config, dir, error);
    ASSERT_TRUE(r) << error;
    ASSERT_EQ(r->journal_error, "");
    EXPECT_TRUE(r->restarted);
    EXPECT_GE(r->restart_unsent_dropped, 1u);
    EXPECT_EQ(r->venue_duplicate_order_ids, 0u);

    // The first input after the restart says what was dropped; the gateway journals the
    // refusal with its reason; upstream learns of it as an order_denied input; and the order
    // is never journaled as sent (so never handed to the venue).
    const std::vector<Record> inputs = read_stream(dir, "input");
    const auto resume_at = std::find_if(inputs.begin(), inputs.end(),
                                        [&](const Record& x) { return x.seq == cause + 1; });
    ASSERT_NE(resume_at, inputs.end());
    ASSERT_EQ(resume_at->type, static_cast<std::uint16_t>(engine::EventType::session_resume));
    engine::Event resume;
    std::memcpy(&resume, resume_at->bytes.data(), sizeof resume);
    EXPECT_EQ(resume.payload.resume.gateway_records, cut);
    EXPECT_EQ(resume.payload.resume.unsent, r->restart_unsent_dropped);
    bool denied = false;
    for (const Record& x : inputs) {
        engine::Event e;
        std::memcpy(&e, x.bytes.data(), sizeof e);
        if (x.type == static_cast<std::uint16_t>(engine::EventType::order_denied) &&
            e.payload.order.order_id == order_id) {
            EXPECT_EQ(e.payload.order.reason, engine::Reason::unsent_at_restart);
            EXPECT_GT(x.seq, cause + 1);
            denied = true;
        }
    }
    EXPECT_TRUE(denied);
    bool refused = false;
    for (const Record& x : read_stream(dir, "gateway")) {
        engine::Event e;
        std::memcpy(&e, x.bytes.data(), sizeof e);
        if (e.payload.order.order_id != order_id)
            continue;
        EXPECT_NE(x.type, sent_type) << "sent late, at sequence " << x.seq;
        if (x.type == static_cast<std::uint16_t>(engine::EventType::order_state) &&
            e.payload.order.reason == engine::Reason::unsent_at_restart) {
            EXPECT_EQ(e.payload.order.status, engine::OrderStatus::rejected);
            refused = true;
        }
    }
    EXPECT_TRUE(refused);

    // A replay re-derives the continued journal byte for byte: it holds and refuses the same
    // order, from the session_resume input.
    std::ostringstream out;
    std::ostringstream err;
    replay::ReplayOptions verify;
    verify.verify = true;
    EXPECT_EQ(replay::replay_journal(dir, verify, out, err), 0) << out.str() << err.str();

    // And the journal, restarts and all, continues again: the earlier hold comes back as it
    // was, nothing new is dropped.
    const auto again = run(cr_.config, dir, error);
    ASSERT_TRUE(again) << error;
    EXPECT_TRUE(again->restarted);
    EXPECT_EQ(again->restart_unsent_dropped, 0u);
    EXPECT_EQ(again->last_seq, r->last_seq);
    EXPECT_EQ(again->fills, r->fills);
    EXPECT_EQ(again->cash.raw, r->cash.raw);
}

TEST_F(Recovery, ContinuingACompleteJournalChangesNothing) {
    std::string error;
    const auto r = run(cr_.config, base_ / "full", error);
    ASSERT_TRUE(r) << error;
    EXPECT_EQ(r->last_seq, full_->last_seq);
    EXPECT_EQ(r->restart_in_doubt_replies, 0u);
    EXPECT_EQ(r->restart_rederived_records, 0u);
    EXPECT_EQ(r->fills, full_->fills);
    EXPECT_EQ(r->cash.raw, full_->cash.raw);
    for (std::size_t s = 0; s < streams_.size(); ++s)
        EXPECT_EQ(read_stream(base_ / "full", kStreams[s]).size(), streams_[s].size());
}

TEST_F(Recovery, ASecondWriterIsRefusedBeforeItTouchesTheJournal) {
    adapters::SplitMix64 rng(7);
    const fs::path dir = crashed("live", full_->last_seq / 2, rng, true);
    // What a reader sees of a live writer's last record looks just like a torn tail.
    std::map<std::string, std::uintmax_t> sizes;
    for (const auto& e : fs::directory_iterator(dir))
        sizes[e.path().filename().string()] = fs::file_size(e.path());
    {
        journal::WriterLock live;  // another writer, between its appends
        ASSERT_TRUE(journal::WriterLock::acquire(dir, live).ok());
        std::string error;
        EXPECT_FALSE(run(cr_.config, dir, error));
        EXPECT_NE(error.find("is being written by another process (pid " +
                             std::to_string(::getpid()) + ")"),
                  std::string::npos)
            << error;
        // Nothing cut, nothing added (but the lock file the live writer holds).
        std::map<std::string, std::uintmax_t> now;
        for (const auto& e : fs::directory_iterator(dir))
            now[e.path().filename().string()] = fs::file_size(e.path());
        now.erase(std::string(journal::kWriterLockFile));
        EXPECT_EQ(now, sizes);
    }
    // Once that writer is gone, the tail is torn, and a restart cuts it and continues.
    std::string error;
    const auto r = run(cr_.config, dir, error);
    ASSERT_TRUE(r) << error;
    EXPECT_GT(r->restart_torn_bytes, 0u);
    EXPECT_EQ(r->last_seq, full_->last_seq);
}

TEST_F(Recovery, RefusesAJournalOfAnotherConfigurationOrSeed) {
    adapters::SplitMix64 rng(1);
    const fs::path dir = crashed("other", full_->last_seq / 2, rng, false);
    engine::Config other = cr_.config;
    other.effective["risk"]["max_order_qty"] = "1";
    std::string error;
    EXPECT_FALSE(run(other, dir, error));
    EXPECT_NE(error.find("another configuration"), std::string::npos) << error;

    engine::Config seeded = cr_.config;
    seeded.seed = cr_.config.seed + 1;
    error.clear();
    EXPECT_FALSE(run(seeded, dir, error));
    EXPECT_NE(error.find("seed"), std::string::npos) << error;
}

TEST_F(Recovery, RefusesAJournalItsReDerivationDisagreesWith) {
    // A strategy record that says something else (with a valid CRC: not corruption, a
    // journal the engine would not have written).
    std::vector<Record> strategy = streams_[1];
    ASSERT_GT(strategy.size(), 5u);
    const std::uint64_t seq = strategy[5].seq;
    strategy[5].bytes[sizeof(engine::EventHeader)] ^= 0x01;
    const fs::path dir = base_ / "tampered";
    fs::create_directories(dir);
    write_stream(dir, "input", streams_[0]);
    write_stream(dir, "strategy", strategy);
    write_stream(dir, "risk", streams_[2]);
    write_stream(dir, "gateway", streams_[3]);
    std::string error;
    EXPECT_FALSE(run(cr_.config, dir, error));
    EXPECT_NE(error.find("strategy stream, sequence " + std::to_string(seq)), std::string::npos)
        << error;
}

}  // namespace

namespace {

engine::OrderRecord open_order(std::uint64_t id, std::int64_t filled_raw) {
    engine::OrderRecord o;
    o.order_id = id;
    o.symbol = 1;
    o.strategy = 2;
    o.side = engine::Side::buy;
    o.status =
        filled_raw > 0 ? engine::OrderStatus::partially_filled : engine::OrderStatus::accepted;
    o.quantity = engine::Quantity::from_raw(10'000'000'000);
    o.filled = engine::Quantity::from_raw(filled_raw);
    return o;
}

TEST(OpenOrderReconciliation, OrdersBothSidesHoldAlikeNeedNothing) {
    const auto r = replay::reconcile_open_orders(
        {open_order(3, 0), open_order(7, 5)},
        {{3, engine::Quantity{}}, {7, engine::Quantity::from_raw(5)}}, 100);
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.replies.empty());
}

TEST(OpenOrderReconciliation, AnOrderTheVenueNeverTookIsClosedByAJournaledCancel) {
    const auto r =
        replay::reconcile_open_orders({open_order(3, 0), open_order(7, 0)}, {{7, {}}}, 100);
    EXPECT_EQ(r.error, "");
    ASSERT_EQ(r.replies.size(), 1u);
    const engine::Event& e = r.replies[0];
    EXPECT_EQ(e.header.type, engine::EventType::venue_cancel);
    // From the engine, so a later restart does not expect the rebuilt venue to have said it.
    EXPECT_EQ(e.header.source, engine::Source::engine);
    EXPECT_EQ(e.header.ts_ns, 100);
    EXPECT_EQ(e.header.symbol, 1u);
    EXPECT_EQ(e.header.aux, 2u);
    EXPECT_EQ(e.payload.order.order_id, 3u);
    EXPECT_EQ(e.payload.order.reason, engine::Reason::venue_unknown_order);
    EXPECT_EQ(e.payload.order.status, engine::OrderStatus::canceled);
}

TEST(OpenOrderReconciliation, DifferencesARestartCannotResolveRefuseNamingTheOrder) {
    const auto extra = replay::reconcile_open_orders({open_order(7, 0)}, {{5, {}}, {7, {}}}, 0);
    EXPECT_NE(extra.error.find("working order 5"), std::string::npos) << extra.error;
    const auto trailing = replay::reconcile_open_orders({open_order(5, 0)}, {{5, {}}, {9, {}}}, 0);
    EXPECT_NE(trailing.error.find("working order 9"), std::string::npos) << trailing.error;
    const auto filled = replay::reconcile_open_orders(
        {open_order(5, 0)}, {{5, engine::Quantity::from_raw(3'000'000'000)}}, 0);
    EXPECT_NE(filled.error.find("order 5: the venue has filled 3"), std::string::npos)
        << filled.error;
}

}  // namespace
