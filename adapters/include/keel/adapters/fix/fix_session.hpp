// fix_session.hpp: keel's only view of QuickFIX. QuickFIX 1.15's headers do not compile as
// C++17/20 (dynamic exception specifications) and Debian's library was built with
// std::auto_ptr, so the code that includes them is its own C++14 target (adapters_quickfix,
// src/fix/quickfix/); this header is plain C++14 that C++20 code includes too. It carries FIX
// application messages as tag/value lists: the session layer (logon, heartbeats, test requests,
// sequence numbers, resend requests, gap fills) is QuickFIX's, the application messages keel's
// (fix_codec.hpp).
//
// Threading: no thread of its own. poll() does one non-blocking turn of the socket loop on the
// caller's thread (connect or accept, read, heartbeat, reconnect) and every callback runs
// inside it; send() is called on that same thread. One thread owns a session end to end.
// QuickFIX 1.15 in this mode never closes an acceptor's listening socket (SocketAcceptor::onStop
// is empty): it closes with the process, so a process opens one acceptor per port.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace keel {
namespace adapters {
namespace fix {

struct FixField {
    int tag = 0;
    std::string value;
};

// One application message: its type (tag 35) and body fields in wire order (repeating groups
// flattened as they appear). Header fields keel reads on receipt are copied out.
struct FixMessage {
    std::string msg_type;
    std::vector<FixField> fields;
    // On receipt (or on a resend, in on_outgoing): header fields.
    std::uint64_t seq_num = 0;     // MsgSeqNum (34)
    bool poss_dup = false;         // PossDupFlag (43) = Y
    std::string sending_time;      // SendingTime (52), as written
    std::string orig_sending_time; // OrigSendingTime (122), on a resend

    // The first field with this tag, or null.
    const std::string* find(int tag) const {
        for (const FixField& f : fields) {
            if (f.tag == tag)
                return &f.value;
        }
        return nullptr;
    }
    FixMessage& add(int tag, std::string value) {
        fields.push_back(FixField{tag, std::move(value)});
        return *this;
    }
};

// How a session end is set up (QuickFIX's session settings).
struct FixSessionSettings {
    std::string begin_string = "FIX.4.4";
    std::string sender_comp_id;
    std::string target_comp_id;
    std::string host = "127.0.0.1";  // the initiator's counterparty; the acceptor binds to it
    int port = 0;
    int heartbeat_s = 30;             // HeartBtInt, sent by the initiator
    int reconnect_s = 5;              // ReconnectInterval (initiator)
    int logon_timeout_s = 10;
    std::string start_time = "00:00:00";  // session schedule (UTC), QuickFIX's StartTime/EndTime
    std::string end_time = "00:00:00";    // equal: a session that never ends
    std::string start_day;                // weekly sessions (e.g. "Sun"), both or neither
    std::string end_day;
    std::string store_dir;  // FileStore: sequence numbers and sent messages survive a restart
    std::string log_dir;    // FileLog of every message and event; empty: no log
    bool reset_on_logon = false;
    bool validate_incoming = false;  // keel runs without a data dictionary (Debian ships none)
    std::string username;  // Logon Username (553) / Password (554); never logged by keel
    std::string password;
};

// The session's events, on the polling thread.
class FixHandler {
  public:
    virtual ~FixHandler() = default;
    virtual void on_logon() = 0;
    virtual void on_logout() = 0;
    // An application message from the counterparty, in sequence (QuickFIX has checked its
    // sequence number and answered gaps first).
    virtual void on_app_message(const FixMessage& message) = 0;
    // An application message about to go out: a new one (poss_dup false) or one QuickFIX is
    // resending for a resend request (poss_dup true, orig_sending_time set). Return false and
    // it is not sent: a resend becomes part of a gap fill, a new one is dropped.
    virtual bool on_outgoing(const FixMessage& /*message*/) { return true; }
    // A session-level message keel may want: a Reject (3), a Logout (5) with its text, a
    // SequenceReset (4), a ResendRequest (2: QuickFIX answers it after this returns), a
    // Heartbeat (0) answering a TestRequest (its TestReqID 112).
    virtual void on_admin(const FixMessage& /*message*/) {}
    // A session-level message this end sends because of what it received: a ResendRequest (2:
    // a message came with a sequence number higher than expected), a Reject (3: one QuickFIX
    // refused, with its reason), a Logout (5: e.g. a sequence number too low).
    virtual void on_admin_sent(const FixMessage& /*message*/) {}
    // The acceptor's logon check: return false to refuse the logon (the session logs out with
    // `reason`).
    virtual bool accept_logon(const FixMessage& /*logon*/, std::string& /*reason*/) {
        return true;
    }
};

// One end of FIX sessions: an initiator (keel's side) or an acceptor (the test venue).
class FixEndpoint {
  public:
    enum class Role { initiator, acceptor };
    // Null with `error` set when QuickFIX refuses the settings or the store cannot be opened.
    static std::unique_ptr<FixEndpoint> create(Role role, const FixSessionSettings& settings,
                                               FixHandler& handler, std::string& error);
    virtual ~FixEndpoint() = default;

    // One non-blocking turn: connects, accepts, reads and answers, heartbeats, reconnects.
    // Returns false once stopped. Errors inside QuickFIX are reported through `error` (empty
    // when none) and never thrown.
    virtual bool poll(std::string& error) = 0;
    // Sends one message on the session (an application message, or a TestRequest: MsgType 1
    // with TestReqID 112); false (with why) when it is not logged on or QuickFIX refuses it.
    virtual bool send(const FixMessage& message, std::string& error) = 0;
    virtual bool logged_on() const = 0;
    // Drops the connection now (the initiator reconnects after reconnect_s; a test venue's
    // fault).
    virtual void disconnect() = 0;
    // Logs out and closes (force: without waiting for the counterparty's logout).
    virtual void stop(bool force) = 0;
    // The next sequence numbers the store holds (sender's, target's).
    virtual std::uint64_t next_sender_seq() const = 0;
    virtual std::uint64_t next_target_seq() const = 0;
    // Resets both sequence numbers to 1 (a test venue's fault; QuickFIX's Session::reset).
    virtual void reset_sequences() = 0;
    // Sets the sequence number expected next from the counterparty: lower than it is, the
    // counterparty is asked to resend (a test venue's fault: it lost messages).
    virtual void set_next_target_seq(std::uint64_t next) = 0;
    // The acceptor's bound port (port 0 in the settings: any free port); the initiator's
    // configured port.
    virtual int port() const = 0;
};

}  // namespace fix
}  // namespace adapters
}  // namespace keel
