// Fixture violation: engine includes from adapters, above it.
#include "keel/engine/core/event.hpp"
#include "keel/adapters/csv/csv_source.hpp"
