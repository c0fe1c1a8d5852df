// Fixture violation: another folder's private src/ header.
#include "../../adapters/src/http/wire.hpp"
