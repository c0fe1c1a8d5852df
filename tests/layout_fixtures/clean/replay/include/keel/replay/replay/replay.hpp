// Fixture: replay/ sits on assembly/.
#pragma once
#include "keel/replay/assembly/assembly.hpp"
