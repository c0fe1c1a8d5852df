// Fixture violation: a keel header that does not exist.
#include "keel/journal/gone.hpp"
