#!/usr/bin/env bash
# Build with ThreadSanitizer and run the concurrency-labelled tests (ring stress, runner plans,
# shutdown drain, allocation guard, journal writer threads, SIGTERM end-to-end) under it.
exec bash "$(dirname "$0")/build-and-test.sh" tsan
