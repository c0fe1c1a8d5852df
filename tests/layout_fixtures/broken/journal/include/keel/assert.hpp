// Fixture: a header every layer may include.
#pragma once
