#!/usr/bin/env bash
# Build with AddressSanitizer + UndefinedBehaviorSanitizer and run the whole test suite under it.
exec bash "$(dirname "$0")/build-and-test.sh" asan
