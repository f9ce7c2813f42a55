#!/usr/bin/env bash
# Build aerolake's web front-end into src/aerolake/web/static/ (idempotent).
# Needs Node.js >= 20 and npm; packages come from the npm registry at set-up only, the pages
# fetch nothing from outside the server at run time.
set -euo pipefail
cd "$(dirname "$0")/../web/frontend"
if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: npm not found; install Node.js 20+ and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
# Skip the install when node_modules already matches the lock file.
if [ -f package-lock.json ]; then
    if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.aerolake-lock; then
        npm ci --no-audit --no-fund --loglevel=error
        cp package-lock.json node_modules/.aerolake-lock
    fi
else
    npm install --no-audit --no-fund --loglevel=error
fi
npm run --silent build
