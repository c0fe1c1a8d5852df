// Fixture: the journal includes no other keel folder.
#pragma once
#include "keel/assert.hpp"
