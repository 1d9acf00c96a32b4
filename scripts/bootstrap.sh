#!/usr/bin/env bash
# Creates (once) the project's Python 3.12 virtual environment in .venv with the pinned stack.
# Sourced by ./trirl.sh; safe to run again: it reinstalls only when requirements/lock.txt or setup.py changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TRIRL_VENV:-$root/.venv}"
find_python() {
  for c in "${TRIRL_PYTHON:-}" python3.12 "$(pyenv root 2>/dev/null)/versions/"3.12*/bin/python3.12; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  echo "trirl_isaac needs Python 3.12 (isaaclab 3.0.0 supports only 3.12); set TRIRL_PYTHON to its path" >&2
  return 1
}
stamp="$venv/.trirl_stamp"
want="$(cat "$root/requirements/lock.txt" "$root/setup.py" "$root/extension.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  py="$(find_python)"
  echo "[bootstrap] creating $venv with $py" >&2
  "$py" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] installing the pinned stack (first time: a few minutes, ~3 GB of wheels)" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check uv==0.13.9
  # --no-deps: the lock lists every package; isaaclab's own metadata asks for more than a kit-less run needs.
  "$venv/bin/python" -m uv pip install -q --python "$venv/bin/python" --no-deps -r "$root/requirements/lock.txt"
  "$venv/bin/python" -m uv pip install -q --python "$venv/bin/python" --no-deps -e "$root"
  echo "$want" > "$stamp"
fi
