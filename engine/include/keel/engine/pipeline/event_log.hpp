// EventLog: where a stage journals an event before it acts on it (ingest: every input before
// forwarding it; strategy, risk, gateway: what they derive, the gateway before the venue sees
// an order). When append returns false the event is not journaled and the stage must not act
// on it: it drops it and the session stops (JournalLog requests the stop).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "keel/engine/core/event.hpp"
#include "keel/journal/status.hpp"
#include "keel/journal/writer.hpp"

namespace keel::engine {

class EventLog {
  public:
    virtual ~EventLog() = default;
    // Appends the event, followed by `extra` bytes (e.g. the config text of session_start).
    [[nodiscard]] virtual bool append(const Event& event, const void* extra = nullptr,
                                      std::uint32_t extra_length = 0) noexcept = 0;
    // Called by ingest when it has nothing to do: a group-commit log makes what it holds
    // durable now, so acknowledgements never wait for the next append on a quiet session.
    virtual void idle() noexcept {}
};

// An EventLog on a journal stream. On the first failure it keeps the error, sets the stop
// flag (the session drains and ends) and refuses every later append, so nothing is acted on
// that is not journaled.
class JournalLog final : public EventLog {
  public:
    JournalLog(std::unique_ptr<journal::StreamWriter> writer, std::atomic<bool>& stop) noexcept
        : writer_(std::move(writer)), stop_(stop) {}

    bool append(const Event& event, const void* extra,
                std::uint32_t extra_length) noexcept override {
        if (!error_.ok())
            return false;
        journal::Status s =
            writer_->append_parts(static_cast<std::uint16_t>(event.header.type), event.header.seq,
                                  event.header.ts_ns, &event, sizeof event, extra, extra_length);
        if (s.ok())
            return true;
        error_ = s;
        stop_.store(true, std::memory_order_relaxed);
        return false;
    }

    void idle() noexcept override {
        if (error_.ok() && writer_->durable_records() < writer_->appended_records()) {
            journal::Status s = writer_->sync();
            if (!s.ok()) {
                error_ = s;
                stop_.store(true, std::memory_order_relaxed);
            }
        }
    }

    // After the threads have joined: seal the stream. Returns the first error, if any.
    [[nodiscard]] journal::Status close() noexcept {
        journal::Status s = writer_->close();
        if (error_.ok() && !s.ok())
            error_ = s;
        return error_;
    }
    [[nodiscard]] const journal::Status& error() const noexcept { return error_; }
    [[nodiscard]] const journal::StreamWriter& writer() const noexcept { return *writer_; }

  private:
    std::unique_ptr<journal::StreamWriter> writer_;
    std::atomic<bool>& stop_;
    journal::Status error_;
};

}  // namespace keel::engine
