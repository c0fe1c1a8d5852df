#include "keel/replay/assembly/journal_read.hpp"

#include <algorithm>
#include <cstring>

#include "keel/assert.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::replay {

namespace fs = std::filesystem;

journal::Status JournalRecords::open(const fs::path& dir, Range range) {
    to_seq_ = range.to_seq;
    past_end_ = false;
    if (journal::Status s = reader_.open(dir, std::move(range.streams)); !s.ok())
        return s;
    return reader_.seek(range.from_seq);
}

JournalRecords::End JournalRecords::read(const OnRecord& on_record, const OnBad& on_bad) {
    if (past_end_)
        return End::end;
    journal::RecordView r{};
    std::string stream;
    for (;;) {
        switch (reader_.next(r, stream)) {
            case journal::StreamCursor::Next::end:
                return End::end;
            case journal::StreamCursor::Next::bad: {
                const std::optional<journal::ScanIssue> issue = reader_.issue();
                KEEL_ASSERT(issue.has_value(), "a bad record comes with its issue");
                on_bad(reader_.issue_stream(), *issue);
                return End::bad;
            }
            case journal::StreamCursor::Next::record:
                // Merged in sequence order: nothing after this one is within the range.
                if (r.header->seq > to_seq_) {
                    past_end_ = true;
                    return End::end;
                }
                if (!on_record(r, stream))
                    return End::stopped;
                break;
        }
    }
}

std::string describe_issue(const journal::ScanIssue& issue) {
    return issue.file + " offset " + std::to_string(issue.offset) + ": " + issue.what;
}

namespace {

// Reads one stream through JournalRecords; error names the stream and the bad record.
bool read_stream(const fs::path& dir, const std::string& stream, std::uint64_t until,
                 const JournalRecords::OnRecord& on_record, std::string& error,
                 TornTail torn = TornTail::refuse) {
    JournalRecords records;
    if (const journal::Status s = records.open(dir, {{stream}, 0, until}); !s.ok()) {
        error = stream + ": " + std::string(s.what());
        return false;
    }
    bool torn_end = false;
    const JournalRecords::End end =
        records.read(on_record, [&](const std::string& s, const journal::ScanIssue& issue) {
            if (torn == TornTail::is_end && issue.torn) {
                torn_end = true;
                return;
            }
            error = s + ": " + describe_issue(issue);
        });
    return end != JournalRecords::End::bad || torn_end;
}

}  // namespace

bool read_records(const fs::path& dir, const std::string& stream, std::vector<JournaledRecord>& out,
                  std::string& error, std::uint64_t until, TornTail torn) {
    return read_stream(
        dir, stream, until,
        [&](const journal::RecordView& r, const std::string&) {
            out.push_back({r.header->type, r.header->seq, r.header->ts_ns,
                           std::vector<unsigned char>(r.payload, r.payload + r.header->length)});
            return true;
        },
        error, torn);
}

void JournaledInputs::push_back(const engine::Event& e, std::string_view tail) {
    if (!tail.empty())
        tails_.emplace_back(events_.size(), std::string(tail));
    events_.push_back(e);
    if (e.header.type == engine::EventType::symbol_def)
        symbol_defs_.push_back(e);
    if (e.header.type == engine::EventType::session_resume)
        resume_holds_.push_back(e.payload.resume.gateway_records);
    market_events_ += engine::is_market_data(e.header.type) ? 1 : 0;
}

std::string_view JournaledInputs::tail_of(std::size_t index) const noexcept {
    const auto it = std::lower_bound(
        tails_.begin(), tails_.end(), index,
        [](const std::pair<std::size_t, std::string>& t, std::size_t i) { return t.first < i; });
    return it != tails_.end() && it->first == index ? std::string_view(it->second)
                                                    : std::string_view{};
}

JournaledInputs JournaledInputs::up_to(std::uint64_t last) const {
    JournaledInputs out;
    for (std::size_t i = 0; i < events_.size() && events_[i].header.seq <= last; ++i)
        out.push_back(events_[i], tail_of(i));
    return out;
}

bool read_session(const fs::path& dir, JournaledSession& out, std::string& error, TornTail torn) {
    std::string why;
    const bool read = read_stream(
        dir, "input", UINT64_MAX,
        [&](const journal::RecordView& r, const std::string&) {
            if (r.header->length < sizeof(engine::Event)) {
                why = "input record seq " + std::to_string(r.header->seq) +
                      " is shorter than an event";
                return false;
            }
            engine::Event e;
            std::memcpy(&e, r.payload, sizeof e);
            if (out.inputs.empty()) {
                if (e.header.type != engine::EventType::session_start) {
                    why = "the input stream does not begin with a session start";
                    return false;
                }
                out.config_text.assign(reinterpret_cast<const char*>(r.payload) + sizeof e,
                                       r.header->length - sizeof e);
            }
            // session_start's bytes are the config (above); another input's are its tail.
            const std::string_view tail =
                e.header.type == engine::EventType::session_start
                    ? std::string_view{}
                    : std::string_view(reinterpret_cast<const char*>(r.payload) + sizeof e,
                                       r.header->length - sizeof e);
            if (tail.size() > engine::kMaxTailBytes) {
                why = "input record seq " + std::to_string(r.header->seq) + " carries " +
                      std::to_string(tail.size()) + " bytes after its event, more than a tail's " +
                      std::to_string(engine::kMaxTailBytes);
                return false;
            }
            out.inputs.push_back(e, tail);
            return true;
        },
        error, torn);
    if (!read)
        return false;
    if (!why.empty()) {
        error = why;
        return false;
    }
    if (out.inputs.empty()) {
        error = "no input records in " + dir.string();
        return false;
    }
    return true;
}

namespace {

// `key` of `object` read as config validation reads a starting cash (a decimal string or an
// integer), or `fallback` when absent or not one.
engine::Money cash_or(const engine::Json& object, const char* key, engine::Money fallback) {
    if (!object.is_object() || !object.contains(key))
        return fallback;
    const engine::Json& v = object[key];
    if (!v.is_string() && !v.is_number_integer())
        return fallback;
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    std::int64_t raw = 0;
    if (engine::parse_decimal(text, raw) == engine::DecimalError::ok)
        return engine::Money::from_raw(raw);
    return fallback;
}

engine::Money starting_cash_of(const engine::Json& config) {
    const engine::Money cash = engine::Money::from_units(engine::kDefaultStartingCashUnits);
    if (!config.is_object() || !config.contains("account"))
        return cash;
    return cash_or(config["account"], "starting_cash", cash);
}

}  // namespace

engine::Money journaled_starting_cash(std::string_view config_text) {
    return starting_cash_of(engine::Json::parse(config_text, nullptr, false));
}

engine::EquitySampling journaled_equity_sampling(std::string_view config_text) {
    const engine::Json config = engine::Json::parse(config_text, nullptr, false);
    const auto metrics = config.is_object() ? config.find("metrics") : config.end();
    if (metrics == config.end() || !metrics->is_object())
        return engine::EquitySampling::automatic;
    const auto v = metrics->find("equity_sampling");
    const std::string name = v != metrics->end() && v->is_string() ? v->get<std::string>() : "";
    if (name == "bar")
        return engine::EquitySampling::bar;
    if (name == "daily")
        return engine::EquitySampling::daily;
    return engine::EquitySampling::automatic;
}

std::vector<JournaledAccount> journaled_accounts(std::string_view config_text) {
    const engine::Json config = engine::Json::parse(config_text, nullptr, false);
    const engine::Money fallback = starting_cash_of(config);
    std::vector<JournaledAccount> out;
    const auto list = config.is_object() ? config.find("accounts") : config.end();
    if (list == config.end() || !list->is_array() || list->empty()) {
        out.push_back({"main", fallback});
        return out;
    }
    // As many as an order id can name; the loader refused more.
    for (std::size_t k = 0; k < list->size() && k < engine::kMaxAccounts; ++k) {
        const engine::Json& a = (*list)[k];
        const auto name = a.is_object() ? a.find("name") : a.end();
        out.push_back({name != a.end() && name->is_string() ? name->get<std::string>()
                                                            : "#" + std::to_string(k),
                       cash_or(a, "starting_cash", fallback)});
    }
    return out;
}

MergedEquity::MergedEquity(const std::vector<JournaledAccount>& accounts, bool keep_curve)
    : keep_curve_(keep_curve) {
    for (const JournaledAccount& a : accounts) {
        last_.push_back(a.starting_cash);
        peak_start_.raw += a.starting_cash.raw;
    }
    peak_ = peak_start_;
}

void MergedEquity::sample(std::size_t account, std::int64_t ts_ns, engine::Money equity) {
    KEEL_ASSERT(account < last_.size(), "a sample of an account the session does not have");
    if (pending_ts_ns_ && *pending_ts_ns_ != ts_ns)
        take_point();
    pending_ts_ns_ = ts_ns;
    last_[account] = equity;
}

void MergedEquity::finish() {
    if (pending_ts_ns_)
        take_point();
    pending_ts_ns_.reset();
}

void MergedEquity::take_point() {
    engine::Money sum{};
    for (const engine::Money m : last_)
        sum.raw += m.raw;
    if (keep_curve_)
        curve_.push_back({*pending_ts_ns_, sum});
    peak_ = std::max(peak_, sum);
    max_drawdown_ = std::max(max_drawdown_, peak_ - sum);
    if (peak_.raw > 0) {
        const auto dd = static_cast<std::int64_t>((static_cast<engine::i128>(peak_.raw) - sum.raw) *
                                                  engine::kScale / peak_.raw);
        max_drawdown_ppb_ = std::max(max_drawdown_ppb_, dd);
    }
}

}  // namespace keel::replay

namespace keel::replay {

std::vector<engine::EquityPoint> merge_equity_curves(
    const std::vector<engine::Money>& starting_cash,
    const std::vector<std::vector<engine::EquityPoint>>& curves) {
    KEEL_ASSERT(starting_cash.size() == curves.size(), "a curve per account");
    std::vector<JournaledAccount> list;
    for (const engine::Money cash : starting_cash)
        list.push_back({{}, cash});
    MergedEquity merged(list, true);
    std::vector<std::size_t> next(curves.size(), 0);
    // Fed in time order: the earliest next point of any account (ties: the lower index).
    while (true) {
        std::size_t first = curves.size();
        for (std::size_t k = 0; k < curves.size(); ++k) {
            if (next[k] < curves[k].size() &&
                (first == curves.size() ||
                 curves[k][next[k]].ts_ns < curves[first][next[first]].ts_ns))
                first = k;
        }
        if (first == curves.size())
            break;
        const engine::EquityPoint& p = curves[first][next[first]++];
        merged.sample(first, p.ts_ns, p.equity);
    }
    merged.finish();
    return merged.curve();
}

}  // namespace keel::replay
