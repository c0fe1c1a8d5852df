// Fixture: a private header included from beside it.
#include "wire.hpp"
#include "keel/adapters/csv/csv_source.hpp"
