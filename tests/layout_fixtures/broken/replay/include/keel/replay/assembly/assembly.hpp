// Fixture: replay's bottom layer.
#pragma once
#include "keel/adapters/csv/csv_source.hpp"
