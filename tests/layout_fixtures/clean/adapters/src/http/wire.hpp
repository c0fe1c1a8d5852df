// Fixture: a private header of adapters/, included by relative path.
#pragma once
