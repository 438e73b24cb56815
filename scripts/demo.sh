#!/usr/bin/env bash
# The main job. For now: build in release mode and list the OpenCL devices, marking the one used.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product glassbox
.build/release/glassbox devices
