// The human-readable summary printed at the end of a session.
#pragma once

#include <ostream>

#include "keel/replay/assembly/session_report.hpp"

namespace keel::replay {

void print_summary(std::ostream& out, const SessionReport& report);
// A data file's notes that are not problems (lines indented by indent): rows sorted into place
// (data.sort) and rows without a size (no participation cap applies to them).
void print_data_file_notes(std::ostream& out, const DataFileReport& file, int indent);

}  // namespace keel::replay
