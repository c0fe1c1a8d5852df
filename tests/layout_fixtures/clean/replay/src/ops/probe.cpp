// Fixture: ops/ may use session/.
#include "keel/replay/session/session.hpp"
