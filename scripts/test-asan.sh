#!/usr/bin/env bash
# Build with AddressSanitizer + UndefinedBehaviorSanitizer and run the test suite under it but for
# the dev_only label (the end-to-end tests not labelled concurrency: they run in the dev suite).
exec bash "$(dirname "$0")/build-and-test.sh" asan
