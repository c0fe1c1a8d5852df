#include "keel/journal/manifest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "keel/journal/crc32c.hpp"
#include "keel/journal/format.hpp"
#include "keel/journal/reader.hpp"

namespace keel::journal {

namespace fs = std::filesystem;

namespace {

// A manifest larger than this is not one (bounds what a reader allocates).
constexpr std::uintmax_t kMaxManifestBytes = 4u << 20;

Status bad_line(const fs::path& file, std::size_t line, const char* what) {
    return Status::error(Errc::corrupt, "%s line %zu: %s", file.c_str(), line, what);
}

bool valid_session_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
    });
}

std::string render(const Manifest& m) {
    std::string text = "keel-journal-manifest " + std::to_string(kManifestVersion) + "\n";
    text += "session " + m.session + "\n";
    text += std::string("state ") + (m.closed ? "closed" : "open") + "\n";
    for (const std::string& s : m.streams)
        text += "stream " + s + "\n";
    for (const auto& [stream, seals] : m.seals) {
        for (const SegmentSeal& s : seals) {
            char line[256];
            std::snprintf(line, sizeof line,
                          "seal %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                          " %" PRIu64 " %08x\n",
                          stream.c_str(), s.index, s.file_bytes, s.data_end, s.records, s.first_seq,
                          s.last_seq, s.check);
            text += line;
        }
    }
    char crc[32];
    std::snprintf(crc, sizeof crc, "crc %08x\n", crc32c(text.data(), text.size()));
    return text + crc;
}

// One "seal ..." line's fields after the keyword.
bool parse_seal(std::istringstream& in, std::string& stream, SegmentSeal& s) {
    std::string check;
    if (!(in >> stream >> s.index >> s.file_bytes >> s.data_end >> s.records >> s.first_seq >>
          s.last_seq >> check) ||
        check.size() != 8)
        return false;
    char* end = nullptr;
    const unsigned long v = std::strtoul(check.c_str(), &end, 16);
    s.check = static_cast<std::uint32_t>(v);
    std::string rest;
    return *end == '\0' && !(in >> rest) && valid_stream_name(stream);
}

// Parses the manifest's lines (its CRC already checked).
Status parse(const fs::path& file, const std::string& text, Manifest& m) {
    std::istringstream lines(text);
    std::string line;
    std::size_t n = 0;
    bool state_seen = false;
    while (std::getline(lines, line)) {
        ++n;
        std::istringstream in(line);
        std::string key;
        in >> key;
        std::string value, rest;
        if (n == 1) {
            if (key != "keel-journal-manifest" || !(in >> value))
                return bad_line(file, n, "not a keel journal manifest");
            if (value != std::to_string(kManifestVersion))
                return Status::error(Errc::newer_version,
                                     "%s: manifest version %s (this keel reads version %u)",
                                     file.c_str(), value.c_str(), kManifestVersion);
        } else if (key == "session") {
            if (!(in >> value) || (in >> rest) || !valid_session_id(value))
                return bad_line(file, n, "bad session id");
            m.session = value;
        } else if (key == "state") {
            if (!(in >> value) || (in >> rest) || (value != "open" && value != "closed"))
                return bad_line(file, n, "state must be open or closed");
            m.closed = value == "closed";
            state_seen = true;
        } else if (key == "stream") {
            if (!(in >> value) || (in >> rest) || !valid_stream_name(value) || m.lists(value))
                return bad_line(file, n, "bad or repeated stream name");
            m.streams.push_back(value);
        } else if (key == "seal") {
            std::string stream;
            SegmentSeal s;
            if (!parse_seal(in, stream, s) || !m.lists(stream))
                return bad_line(file, n, "bad seal (fields, or a stream not listed)");
            if (m.seals.empty() || m.seals.back().first != stream)
                m.seals.emplace_back(stream, std::vector<SegmentSeal>{});
            if (s.index != m.seals.back().second.size())
                return bad_line(file, n, "seals out of order");
            m.seals.back().second.push_back(s);
        } else {
            return bad_line(file, n, "unknown line");
        }
    }
    if (n == 0 || m.session.empty() || !state_seen)
        return bad_line(file, n, "incomplete (needs the version, session and state lines)");
    return {};
}

Status write_all(int fd, const std::string& text, const char* path) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t w = ::write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return Status::from_errno(errno, "write", path);
        }
        p += w;
        left -= static_cast<std::size_t>(w);
    }
    return {};
}

}  // namespace

bool Manifest::lists(std::string_view stream) const {
    return std::find(streams.begin(), streams.end(), stream) != streams.end();
}

const std::vector<SegmentSeal>* Manifest::seals_of(std::string_view stream) const {
    for (const auto& [name, list] : seals) {
        if (name == stream)
            return &list;
    }
    return nullptr;
}

Status read_manifest(const fs::path& dir, std::optional<Manifest>& out) {
    out.reset();
    const fs::path file = dir / kManifestName;
    std::error_code ec;
    if (!fs::exists(file, ec))
        return {};
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec || size > kMaxManifestBytes)
        return Status::error(Errc::corrupt, "%s: unreadable or too large", file.c_str());
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        return Status::error(Errc::io_error, "cannot read %s", file.c_str());
    // The last line is "crc XXXXXXXX" over everything before it.
    const std::size_t crc_at = text.rfind("crc ");
    if (crc_at == std::string::npos || text.size() != crc_at + 13 || text.back() != '\n' ||
        (crc_at > 0 && text[crc_at - 1] != '\n'))
        return Status::error(Errc::corrupt, "%s: its CRC line is missing or damaged", file.c_str());
    char* end = nullptr;
    const std::string hex = text.substr(crc_at + 4, 8);
    const unsigned long want = std::strtoul(hex.c_str(), &end, 16);
    if (*end != '\0' || crc32c(text.data(), crc_at) != static_cast<std::uint32_t>(want))
        return Status::error(Errc::corrupt, "%s: CRC mismatch (the manifest is damaged)",
                             file.c_str());
    Manifest m;
    if (Status s = parse(file, text.substr(0, crc_at), m); !s.ok())
        return s;
    out = std::move(m);
    return {};
}

Status write_manifest(const fs::path& dir, const Manifest& m) {
    const std::string text = render(m);
    const fs::path file = dir / kManifestName;
    const fs::path temp = dir / (std::string(kManifestName) + ".tmp");
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Status::from_errno(errno, "create", temp.c_str());
    Status s = write_all(fd, text, temp.c_str());
    if (s.ok() && ::fsync(fd) != 0)
        s = Status::from_errno(errno, "fsync", temp.c_str());
    ::close(fd);
    if (!s.ok())
        return s;
    if (::rename(temp.c_str(), file.c_str()) != 0)
        return Status::from_errno(errno, "rename", file.c_str());
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Status ManifestKeeper::start(const fs::path& dir, Manifest m) {
    std::lock_guard lk(mu_);
    dir_ = dir;
    manifest_ = std::move(m);
    return write_manifest(dir_, manifest_);
}

void ManifestKeeper::sealed(std::string_view stream, std::uint64_t index) noexcept {
    try {
        SegmentSeal seal;
        const Status scanned = seal_of_segment(dir_, stream, index, seal);
        std::lock_guard lk(mu_);
        if (!scanned.ok()) {
            if (!failure_)
                failure_ = std::string(scanned.what());
            return;
        }
        auto it = std::find_if(manifest_.seals.begin(), manifest_.seals.end(),
                               [&](const auto& e) { return e.first == stream; });
        if (it == manifest_.seals.end()) {
            manifest_.seals.emplace_back(std::string(stream), std::vector<SegmentSeal>{});
            it = std::prev(manifest_.seals.end());
        }
        // Seals are kept in index order with none missing; a segment sealed out of turn (a
        // roll that failed and was retried) is left unsealed rather than misplaced.
        if (index != it->second.size())
            return;
        it->second.push_back(seal);
        if (const Status w = write_manifest(dir_, manifest_); !w.ok() && !failure_)
            failure_ = std::string(w.what());
    } catch (...) {
        // Out of memory: the manifest lacks this seal; the close seals every segment anyway.
    }
}

Manifest ManifestKeeper::manifest() const {
    std::lock_guard lk(mu_);
    return manifest_;
}

std::optional<std::string> ManifestKeeper::failure() const {
    std::lock_guard lk(mu_);
    return failure_;
}

Status close_manifest(const fs::path& dir, const Manifest& open) {
    Manifest m = open;
    m.closed = true;
    m.seals.clear();
    for (const std::string& stream : m.streams) {
        StreamScan scan;
        if (Status s = scan_stream(dir, stream, scan, {}); !s.ok())
            return s;
        if (scan.issue) {
            return Status::error(Errc::corrupt, "cannot seal stream %s: %s at %s offset %llu",
                                 stream.c_str(), scan.issue->what.c_str(), scan.issue->file.c_str(),
                                 static_cast<unsigned long long>(scan.issue->offset));
        }
        std::vector<SegmentSeal> seals;
        for (const SegmentInfo& seg : scan.segments) {
            seals.push_back({seg.index, seg.file_bytes, seg.data_end, seg.records,
                             seg.first_record_seq, seg.last_seq, seg.check});
        }
        m.seals.emplace_back(stream, std::move(seals));
    }
    return write_manifest(dir, m);
}

}  // namespace keel::journal
