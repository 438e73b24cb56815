#!/usr/bin/env bash
# Regenerates the table of bad inputs in ROBUSTNESS.md from BadInputCatalogTests, so the
# documented errors are the ones the code gives.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(mktemp)
trap 'rm -f "$table"' EXIT
swift build --build-tests >/dev/null
GLASSBOX_ROBUSTNESS_TABLE="$table" swift test --skip-build --filter BadInputCatalogTests >/dev/null
python3 - "$table" <<'PY'
import re, sys
table = open(sys.argv[1]).read()
text = open("ROBUSTNESS.md").read()
begin, end = "<!-- bad-inputs:begin -->", "<!-- bad-inputs:end -->"
text = re.sub(re.escape(begin) + ".*?" + re.escape(end), begin + "\n" + table + end, text, flags=re.S)
open("ROBUSTNESS.md", "w").write(text)
PY
echo "ROBUSTNESS.md: table updated"
