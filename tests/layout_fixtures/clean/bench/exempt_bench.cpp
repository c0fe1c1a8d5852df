// Fixture: bench may include anything.
#include "keel/tools/anything.hpp"
