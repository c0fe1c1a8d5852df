#include "keel/replay/reports/fix_store.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace keel::replay {
namespace fs = std::filesystem;
namespace {

// "NNNNNNNNNN : NNNNNNNNNN" (QuickFIX's FileStore::setSeqNum), both positive.
bool parse_seqnums(const std::string& text, std::uint64_t& sender, std::uint64_t& target) {
    const auto colon = text.find(':');
    if (colon == std::string::npos)
        return false;
    const auto number = [](std::string s, std::uint64_t& out) {
        s.erase(0, s.find_first_not_of(" \n\r"));
        s.erase(s.find_last_not_of(" \n\r") + 1);
        if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) {
                return c >= '0' && c <= '9';
            }))
            return false;
        out = std::stoull(s);
        return out > 0;
    };
    return number(text.substr(0, colon), sender) && number(text.substr(colon + 1), target);
}

FixStore read_store(const fs::path& account_dir, const std::string& session) {
    FixStore s;
    s.account = account_dir.filename().string();
    s.session = session;
    const fs::path seqnums = account_dir / (session + ".seqnums");
    std::ifstream in(seqnums);
    std::stringstream text;
    text << in.rdbuf();
    if (in && text.str().empty()) {
        // Created, not written yet (a session's first start): QuickFIX reads it as 1 : 1.
        s.next_sender_seq = s.next_target_seq = 1;
    } else if (!in || !parse_seqnums(text.str(), s.next_sender_seq, s.next_target_seq))
        s.error = seqnums.string() + ": expected 'NNNNNNNNNN : NNNNNNNNNN' (next sender and "
                  "target sequence numbers), found '" + text.str().substr(0, 40) + "'";
    std::error_code ec;
    const auto body = fs::file_size(account_dir / (session + ".body"), ec);
    if (!ec)
        s.body_bytes = body;
    else if (s.error.empty())
        s.error = (account_dir / (session + ".body")).string() + ": missing (" + ec.message() + ")";
    return s;
}

}  // namespace

std::vector<FixStore> read_fix_stores(const fs::path& journal_dir) {
    std::vector<FixStore> out;
    std::error_code ec;
    const fs::path root = journal_dir / "fix";
    if (!fs::is_directory(root, ec))
        return out;
    for (const auto& account : fs::directory_iterator(root, ec)) {
        if (!account.is_directory())
            continue;
        std::vector<std::string> sessions;
        std::error_code inner;
        for (const auto& f : fs::directory_iterator(account.path(), inner)) {
            const std::string name = f.path().filename().string();
            // Each session's files share a prefix; .session names one (.seqnums may be lost).
            for (const char* suffix : {".session", ".seqnums"}) {
                const std::string sfx = suffix;
                if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0)
                    sessions.push_back(name.substr(0, name.size() - sfx.size()));
            }
        }
        std::sort(sessions.begin(), sessions.end());
        sessions.erase(std::unique(sessions.begin(), sessions.end()), sessions.end());
        for (const std::string& s : sessions)
            out.push_back(read_store(account.path(), s));
    }
    std::sort(out.begin(), out.end(), [](const FixStore& a, const FixStore& b) {
        return a.account != b.account ? a.account < b.account : a.session < b.session;
    });
    return out;
}

}  // namespace keel::replay
