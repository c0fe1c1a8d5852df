// The exit codes of every keel command, named once. A verifier's convention (NautilusTrader's:
// 0 ok, 1 a problem found, 2 could not run) extended by the journal's own failure. The
// replay/ functions behind each command return them; tools/ passes them to the shell.
#pragma once

namespace keel {

// Success: the session ran to its end, the journal verified clean, the file was written.
inline constexpr int kExitOk = 0;
// It ran and found a problem: a session failed after starting; a journal ends in a torn tail
// (verify, export, report, dump: what comes before it was read); a replay diverged.
inline constexpr int kExitFailed = 1;
// It could not run: bad usage, an invalid config, a session that could not start, a journal
// that is corrupt or unreadable, an output file that cannot be written.
inline constexpr int kExitUsage = 2;
// The journal failed while a session ran (disk full, I/O error, read-only file system): the
// session stopped without acting on anything it could not journal.
inline constexpr int kExitJournal = 3;

}  // namespace keel
