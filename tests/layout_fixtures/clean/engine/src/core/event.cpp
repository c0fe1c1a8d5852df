// Fixture: short functions only.
#include "keel/engine/core/event.hpp"

namespace keel::engine {

int short_one(int x) {
    return x + 1;
}

}  // namespace keel::engine
