// Fixture violation: session/ includes from reports/, beside it.
#include "keel/replay/session/session.hpp"
#include "keel/replay/reports/summary.hpp"
