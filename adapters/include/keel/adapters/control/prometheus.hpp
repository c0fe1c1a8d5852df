// render_prometheus: a MetricsSnapshot as Prometheus text exposition format 0.0.4 (served as
// "text/plain; version=0.0.4"). Every family has HELP and TYPE lines; names start with keel_
// and carry their unit (_seconds, _bytes, _total). adapters/README.md lists the families.
#pragma once

#include <string>
#include <string_view>

#include "keel/adapters/control/metrics_snapshot.hpp"

namespace keel::adapters::control {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

[[nodiscard]] std::string render_prometheus(const MetricsSnapshot& snapshot);

}  // namespace keel::adapters::control
