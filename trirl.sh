#!/usr/bin/env bash
# The project's single entry point; the first call creates .venv (Python 3.12) with the pinned stack.
#   ./trirl.sh test [pytest args]     lint (ruff) + the whole test suite
#   ./trirl.sh train [args]           scripts/train.py (e.g. --task TRIRL-G1-Run)
#   ./trirl.sh <script> [args]        any scripts/<script>.py (play, benchmark, convert_motion, ...)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
bash scripts/bootstrap.sh
py="$root/.venv/bin/python"
cmd="${1:-}"
[ -n "$cmd" ] || { sed -n '2,6p' "$0"; exit 2; }
shift
case "$cmd" in
  test)
    "$root/.venv/bin/ruff" check .
    "$root/.venv/bin/ruff" format --check .
    exec "$py" -m pytest "$@"
    ;;
  *)
    [ -f "scripts/$cmd.py" ] || { echo "unknown command '$cmd' (no scripts/$cmd.py)" >&2; exit 2; }
    exec "$py" "scripts/$cmd.py" "$@"
    ;;
esac
