// Fixture: session/ sits on replay/ and assembly/.
#pragma once
#include "keel/replay/replay/replay.hpp"
#include "keel/replay/assembly/assembly.hpp"
