// The journal manifest: a small text file, "MANIFEST", beside the segments, that says what the
// journal must hold, so that damage is never mistaken for an end.
//
// A session writes it when it opens the journal (state open: the format version, the session
// id and the streams), again each time a writer seals a segment by moving on to the next
// (ManifestKeeper), and when it closes the journal cleanly (state closed, with every
// segment's seal: its file length, where its data ends, its record count, first and last
// sequence, and a check over its records' CRCs). scan_stream holds every stream to it:
//   - a stream the manifest lists must exist, and a stream it does not list must not;
//   - in a closed journal nothing may be torn, and every segment must match its seal exactly
//     (a truncated, zeroed, swapped or appended segment is corruption);
//   - in an open journal (a crash, or a writer at work) every sealed segment must match its
//     seal, and only the last, unsealed segment's tail may be torn, as before.
// A journal without a manifest (written before it existed) is read as before, except that a
// directory holding derived streams but no input stream is corrupt.
//
// Format (one item per line, fields separated by one space; the last line is the CRC32C of
// every byte before it, as 8 hex digits):
//   keel-journal-manifest 1
//   session <id>
//   state open|closed
//   stream <name>                                                   (one per stream)
//   seal <stream> <index> <file_bytes> <data_end> <records> <first_seq> <last_seq> <check>
//   crc <8 hex digits>
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "keel/journal/status.hpp"
#include "keel/journal/writer.hpp"

namespace keel::journal {

inline constexpr const char* kManifestName = "MANIFEST";
inline constexpr std::uint32_t kManifestVersion = 1;

struct SegmentSeal {
    std::uint64_t index = 0;
    std::uint64_t file_bytes = 0;
    std::uint64_t data_end = 0;
    std::uint64_t records = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint32_t check = 0;  // CRC32C over the segment's record CRCs, in order
};

struct Manifest {
    std::string session;  // an id the session chose ([0-9a-z_-], at most 64 characters)
    bool closed = false;
    std::vector<std::string> streams;
    // Per stream, its segments' seals in index order (closed journals only).
    std::vector<std::pair<std::string, std::vector<SegmentSeal>>> seals;

    [[nodiscard]] bool lists(std::string_view stream) const;
    [[nodiscard]] const std::vector<SegmentSeal>* seals_of(std::string_view stream) const;
};

// Reads dir/MANIFEST: ok with out empty when there is none; Errc::corrupt naming the line when
// it is malformed or fails its CRC.
[[nodiscard]] Status read_manifest(const std::filesystem::path& dir, std::optional<Manifest>& out);
// Writes dir/MANIFEST atomically (a temporary file, fsync, rename, fsync of the directory).
[[nodiscard]] Status write_manifest(const std::filesystem::path& dir, const Manifest& m);
// Keeps a journal's manifest current while it is written: each segment a writer seals when it
// rolls is scanned and its seal written into the manifest (atomically, as write_manifest), so
// that a crashed journal's sealed segments are held to their seals too. Any thread.
class ManifestKeeper final : public SealObserver {
  public:
    // Writes m (open) into dir and keeps it from now on.
    [[nodiscard]] Status start(const std::filesystem::path& dir, Manifest m);
    void sealed(std::string_view stream, std::uint64_t index) noexcept override;
    // The manifest as kept so far.
    [[nodiscard]] Manifest manifest() const;
    // The first failure to seal or write (the manifest then lacks that seal), if any.
    [[nodiscard]] std::optional<std::string> failure() const;

  private:
    mutable std::mutex mu_;
    std::filesystem::path dir_;
    Manifest manifest_;
    std::optional<std::string> failure_;
};

// Seals every stream of a journal whose writers have all closed (scanning each) and writes the
// manifest as closed; the streams and session come from `open`.
[[nodiscard]] Status close_manifest(const std::filesystem::path& dir, const Manifest& open);

}  // namespace keel::journal
