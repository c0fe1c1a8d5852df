// Fixture: adapters include from engine.
#pragma once
#include "keel/engine/core/event.hpp"
