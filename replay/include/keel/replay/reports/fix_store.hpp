// The FIX sessions' stores a journal directory holds: `fix/<account>/`, QuickFIX's FileStore
// for that account's session (adapters/include/keel/adapters/fix/fix_session.hpp). Per session
// (BeginString-SenderCompID-TargetCompID) the files are .seqnums ("NNNNNNNNNN : NNNNNNNNNN",
// the next sequence number to send and the next expected), .header and .body (the messages
// sent, kept for resends) and .session (when the session's numbering began). `keel journal
// verify` and `inspect` read them: a store that does not parse is named with its file, as a
// corrupt segment is, since a restart would continue the FIX session from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace keel::replay {

struct FixStore {
    std::string account;            // the fix/ subdirectory (the account's index)
    std::string session;            // the file prefix: FIX.4.4-KEEL-VENUE
    std::uint64_t next_sender_seq = 0;
    std::uint64_t next_target_seq = 0;
    std::uintmax_t body_bytes = 0;  // messages kept for resends
    std::string error;              // empty when the store parses
};

// Every session store under dir/fix, sorted by account then session; none when there is no
// fix/ directory.
[[nodiscard]] std::vector<FixStore> read_fix_stores(const std::filesystem::path& journal_dir);

}  // namespace keel::replay
