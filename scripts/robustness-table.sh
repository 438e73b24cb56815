#!/usr/bin/env bash
# Regenerates the two tables of bad input in ROBUSTNESS.md from the tests that check them, so
# the documented errors are the ones the code gives: files and library calls from
# BadInputCatalogTests, flags, environment variables and paths given to the binary from
# HostileInputCatalogTests.
set -euo pipefail
cd "$(dirname "$0")/.."
library=$(mktemp) cli=$(mktemp)
trap 'rm -f "$library" "$cli"' EXIT
swift build --build-tests >/dev/null
GLASSBOX_ROBUSTNESS_TABLE="$library" GLASSBOX_ROBUSTNESS_CLI_TABLE="$cli" \
    swift test --skip-build --filter 'BadInputCatalogTests|HostileInputCatalogTests' >/dev/null
python3 - "$library" "$cli" <<'PY'
import re, sys
text = open("ROBUSTNESS.md").read()
for path, name in [(sys.argv[1], "bad-inputs"), (sys.argv[2], "hostile-inputs")]:
    table = open(path).read()
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text:
        sys.exit(f"ROBUSTNESS.md has no {begin} marker")
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: begin + "\n" + table + end, text, flags=re.S)
open("ROBUSTNESS.md", "w").write(text)
PY
echo "ROBUSTNESS.md: tables updated"
