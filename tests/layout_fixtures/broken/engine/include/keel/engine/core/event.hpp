// Fixture: engine includes from journal, below it.
#pragma once
#include "keel/journal/format.hpp"
#include "keel/assert.hpp"
