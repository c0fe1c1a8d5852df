#!/usr/bin/env bash
# Install dependencies, build everything (dev preset, -Werror), run the whole test suite.
exec bash "$(dirname "$0")/build-and-test.sh" dev
