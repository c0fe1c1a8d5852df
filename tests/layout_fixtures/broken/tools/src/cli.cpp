// Fixture: tools include from every folder below.
#include "keel/replay/reports/summary.hpp"
#include "keel/adapters/csv/csv_source.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/assert.hpp"
