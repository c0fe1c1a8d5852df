// Fixture: reports/ sits on replay/ and assembly/.
#pragma once
#include "keel/replay/replay/replay.hpp"
