// The human-readable summary printed at the end of a session.
#pragma once

#include <ostream>

#include "keel/replay/assembly/session_report.hpp"

namespace keel::replay {

void print_summary(std::ostream& out, const SessionReport& report);

}  // namespace keel::replay
