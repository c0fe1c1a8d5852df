#!/usr/bin/env bash
# Fixture: named by a README's command line.
