// The QuickFIX side of fix_session.hpp, compiled as C++14 (target adapters_quickfix): QuickFIX
// 1.15's headers use dynamic exception specifications, which C++17 removed, and Debian's
// library was built with std::auto_ptr (HAVE_STD_UNIQUE_PTR must stay undefined so the
// headers match it). Every QuickFIX call is wrapped: nothing it throws leaves this file.
#include "keel/adapters/fix/fix_session.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <sstream>

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>

namespace keel {
namespace adapters {
namespace fix {
namespace {

const int kUsername = 553;
const int kPassword = 554;

// A free TCP port on the loopback interface for an acceptor asked for port 0: QuickFIX binds
// the port it is given and does not report an ephemeral one. Another process could take the
// port between this and QuickFIX's bind; the acceptor then fails to start with that error.
int free_port(const std::string& host, std::string& error) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        error = "cannot open a socket to find a free port";
        return 0;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(host == "0.0.0.0" ? INADDR_ANY : INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    else
        error = "cannot bind a socket to find a free port";
    ::close(fd);
    return port;
}

std::string settings_text(FixEndpoint::Role role, const FixSessionSettings& s, int port) {
    std::ostringstream out;
    out << "[DEFAULT]\n"
        << "ConnectionType=" << (role == FixEndpoint::Role::initiator ? "initiator" : "acceptor")
        << "\nUseDataDictionary=N\nSocketNodelay=Y\nPersistMessages=Y\n"
        << "ValidateUserDefinedFields=N\nValidateFieldsOutOfOrder=N\n"
        << "ResetOnLogon=" << (s.reset_on_logon ? "Y" : "N") << "\n"
        << "FileStorePath=" << s.store_dir << "\n";
    // QuickFIX 1.15 reads the reconnect interval from [DEFAULT] only (SocketInitiator).
    if (role == FixEndpoint::Role::initiator)
        out << "ReconnectInterval=" << s.reconnect_s << "\n";
    if (!s.log_dir.empty())
        out << "FileLogPath=" << s.log_dir << "\n";
    out << "[SESSION]\nBeginString=" << s.begin_string << "\nSenderCompID=" << s.sender_comp_id
        << "\nTargetCompID=" << s.target_comp_id << "\nStartTime=" << s.start_time
        << "\nEndTime=" << s.end_time << "\n";
    if (!s.start_day.empty())
        out << "StartDay=" << s.start_day << "\nEndDay=" << s.end_day << "\n";
    out << "LogonTimeout=" << s.logon_timeout_s << "\n";
    if (role == FixEndpoint::Role::initiator) {
        out << "SocketConnectHost=" << s.host << "\nSocketConnectPort=" << port
            << "\nHeartBtInt=" << s.heartbeat_s << "\n";
    } else {
        out << "SocketAcceptPort=" << port << "\nSocketReuseAddress=Y\n";
    }
    return out.str();
}

void copy_header(const FIX::Message& from, FixMessage& to) {
    const FIX::Header& h = from.getHeader();
    if (h.isSetField(FIX::FIELD::MsgType))
        to.msg_type = h.getField(FIX::FIELD::MsgType);
    if (h.isSetField(FIX::FIELD::MsgSeqNum))
        to.seq_num = std::strtoull(h.getField(FIX::FIELD::MsgSeqNum).c_str(), nullptr, 10);
    to.poss_dup = h.isSetField(FIX::FIELD::PossDupFlag) &&
                  h.getField(FIX::FIELD::PossDupFlag) == "Y";
    if (h.isSetField(FIX::FIELD::SendingTime))
        to.sending_time = h.getField(FIX::FIELD::SendingTime);
    if (h.isSetField(FIX::FIELD::OrigSendingTime))
        to.orig_sending_time = h.getField(FIX::FIELD::OrigSendingTime);
}

FixMessage to_keel(const FIX::Message& from) {
    FixMessage to;
    copy_header(from, to);
    for (FIX::FieldMap::const_iterator it = from.begin(); it != from.end(); ++it)
        to.fields.push_back(FixField{it->getTag(), it->getString()});
    return to;
}

FIX::Message to_quickfix(const FixMessage& from) {
    FIX::Message to;
    to.getHeader().setField(FIX::MsgType(from.msg_type));
    for (const FixField& f : from.fields)
        to.setField(FIX::StringField(f.tag, f.value), false);  // appended: repeated tags stay
    return to;
}

class Endpoint final : public FixEndpoint, private FIX::Application {
  public:
    Endpoint(Role role, const FixSessionSettings& settings, FixHandler& handler)
        : role_(role), settings_(settings), handler_(handler) {}
    ~Endpoint() override { stop(true); }

    bool open(std::string& error) {
        port_ = settings_.port;
        if (role_ == Role::acceptor && port_ == 0) {
            port_ = free_port(settings_.host, error);
            if (port_ == 0)
                return false;
        }
        try {
            std::istringstream text(settings_text(role_, settings_, port_));
            quickfix_settings_.reset(new FIX::SessionSettings(text));
            store_.reset(new FIX::FileStoreFactory(*quickfix_settings_));
            if (!settings_.log_dir.empty())
                log_.reset(new FIX::FileLogFactory(*quickfix_settings_));
            if (role_ == Role::initiator)
                endpoint_initiator();
            else
                endpoint_acceptor();
            session_id_ = *quickfix_settings_->getSessions().begin();
        } catch (const std::exception& e) {
            error = std::string("QuickFIX refused the session settings: ") + e.what();
            return false;
        }
        return true;
    }

    bool poll(std::string& error) override {
        if (stopped_)
            return false;
        try {
            const bool running = initiator_ ? initiator_->poll(0.0) : acceptor_->poll(0.0);
            polled_ = true;
            return running;
        } catch (const std::exception& e) {
            error = std::string("QuickFIX: ") + e.what();
            // The first turn binds or connects: failing there (a port in use, say) is final,
            // and QuickFIX would open another socket at every further turn.
            if (!polled_)
                stop(true);
            return polled_;
        }
    }

    bool send(const FixMessage& message, std::string& error) override {
        FIX::Session* session = FIX::Session::lookupSession(session_id_);
        if (session == nullptr || !session->isLoggedOn()) {
            error = "the FIX session is not logged on";
            return false;
        }
        try {
            FIX::Message m = to_quickfix(message);
            if (!session->send(m)) {
                error = "QuickFIX did not send the message";
                return false;
            }
        } catch (const std::exception& e) {
            error = std::string("QuickFIX refused the message: ") + e.what();
            return false;
        }
        return true;
    }

    bool logged_on() const override {
        FIX::Session* session = FIX::Session::lookupSession(session_id_);
        return session != nullptr && session->isLoggedOn();
    }

    void disconnect() override {
        if (FIX::Session* session = FIX::Session::lookupSession(session_id_))
            session->disconnect();
    }

    void stop(bool force) override {
        if (stopped_)
            return;
        stopped_ = true;
        try {
            if (initiator_)
                initiator_->stop(force);
            if (acceptor_)
                acceptor_->stop(force);
        } catch (const std::exception&) {
            // Stopping is best effort: the sockets close with the objects.
        }
        initiator_.reset();
        acceptor_.reset();
    }

    std::uint64_t next_sender_seq() const override {
        FIX::Session* session = FIX::Session::lookupSession(session_id_);
        return session != nullptr ? static_cast<std::uint64_t>(session->getExpectedSenderNum())
                                  : 0;
    }
    std::uint64_t next_target_seq() const override {
        FIX::Session* session = FIX::Session::lookupSession(session_id_);
        return session != nullptr ? static_cast<std::uint64_t>(session->getExpectedTargetNum())
                                  : 0;
    }

    void reset_sequences() override {
        if (FIX::Session* session = FIX::Session::lookupSession(session_id_)) {
            try {
                session->reset();
            } catch (const std::exception&) {
                // The store could not be reset: the sequence numbers stay as they were.
            }
        }
    }

    void set_next_target_seq(std::uint64_t next) override {
        if (FIX::Session* session = FIX::Session::lookupSession(session_id_)) {
            try {
                session->setNextTargetMsgSeqNum(static_cast<int>(next));
            } catch (const std::exception&) {
                // The store could not be written: the sequence number stays as it was.
            }
        }
    }

    int port() const override { return port_; }

  private:
    void endpoint_initiator() {
        if (log_)
            initiator_.reset(new FIX::SocketInitiator(*this, *store_, *quickfix_settings_, *log_));
        else
            initiator_.reset(new FIX::SocketInitiator(*this, *store_, *quickfix_settings_));
    }
    void endpoint_acceptor() {
        if (log_)
            acceptor_.reset(new FIX::SocketAcceptor(*this, *store_, *quickfix_settings_, *log_));
        else
            acceptor_.reset(new FIX::SocketAcceptor(*this, *store_, *quickfix_settings_));
    }

    // FIX::Application, on the polling thread.
    void onCreate(const FIX::SessionID&) override {}
    void onLogon(const FIX::SessionID&) override { handler_.on_logon(); }
    void onLogout(const FIX::SessionID&) override { handler_.on_logout(); }
    void toAdmin(FIX::Message& message, const FIX::SessionID&) override {
        const std::string& type = message.getHeader().getField(FIX::FIELD::MsgType);
        if (type == FIX::MsgType_Logon && role_ == Role::initiator) {
            if (!settings_.username.empty())
                message.setField(kUsername, settings_.username);
            if (!settings_.password.empty())
                message.setField(kPassword, settings_.password);
        }
        if (type == FIX::MsgType_ResendRequest || type == FIX::MsgType_Reject ||
            type == FIX::MsgType_Logout)
            handler_.on_admin_sent(to_keel(message));
    }
    void toApp(FIX::Message& message, const FIX::SessionID&) throw(FIX::DoNotSend) override {
        if (!handler_.on_outgoing(to_keel(message)))
            throw FIX::DoNotSend();
    }
    void fromAdmin(const FIX::Message& message, const FIX::SessionID&) throw(
        FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
        FIX::RejectLogon) override {
        const FixMessage m = to_keel(message);
        if (m.msg_type == FIX::MsgType_Logon && role_ == Role::acceptor) {
            std::string reason;
            if (!handler_.accept_logon(m, reason))
                throw FIX::RejectLogon(reason);
            return;
        }
        if (m.msg_type == FIX::MsgType_Reject || m.msg_type == FIX::MsgType_Logout ||
            m.msg_type == FIX::MsgType_ResendRequest ||
            m.msg_type == FIX::MsgType_SequenceReset ||
            (m.msg_type == FIX::MsgType_Heartbeat && message.isSetField(FIX::FIELD::TestReqID)))
            handler_.on_admin(m);
    }
    void fromApp(const FIX::Message& message, const FIX::SessionID&) throw(
        FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
        FIX::UnsupportedMessageType) override {
        handler_.on_app_message(to_keel(message));
    }

    Role role_;
    FixSessionSettings settings_;
    FixHandler& handler_;
    int port_ = 0;
    bool stopped_ = false;
    bool polled_ = false;  // a first turn has succeeded
    FIX::SessionID session_id_;
    std::unique_ptr<FIX::SessionSettings> quickfix_settings_;
    std::unique_ptr<FIX::FileStoreFactory> store_;
    std::unique_ptr<FIX::FileLogFactory> log_;
    std::unique_ptr<FIX::SocketInitiator> initiator_;
    std::unique_ptr<FIX::SocketAcceptor> acceptor_;
};

}  // namespace

std::unique_ptr<FixEndpoint> FixEndpoint::create(Role role, const FixSessionSettings& settings,
                                                 FixHandler& handler, std::string& error) {
    std::unique_ptr<Endpoint> endpoint(new Endpoint(role, settings, handler));
    if (!endpoint->open(error))
        return nullptr;
    return std::unique_ptr<FixEndpoint>(std::move(endpoint));
}

}  // namespace fix
}  // namespace adapters
}  // namespace keel
