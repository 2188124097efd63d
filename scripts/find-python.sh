#!/usr/bin/env bash
# Prints the path of a Python 3.12 or newer, or explains what is missing and fails.
set -euo pipefail
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for v in 3.12 3.13 3.14; do
  command -v "python$v" >/dev/null 2>&1 && candidates+=("$(command -v "python$v")")
  for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions" /usr/local/bin /usr/bin; do
    for p in "$root"/"$v"*/bin/python"$v" "$root"/python"$v"; do
      [ -x "$p" ] && candidates+=("$p")
    done
  done
done
command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
for c in "${candidates[@]}"; do
  if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    echo "$c"
    exit 0
  fi
done
echo "Payvand needs Python 3.12 or newer (Django 6 requires it), and none was found." >&2
echo "Install python3.12 (e.g. 'apt install python3.12' or 'pyenv install 3.12'), or set PYTHON=/path/to/python3.12." >&2
exit 1
