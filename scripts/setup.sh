#!/usr/bin/env bash
# Idempotent set-up: venv, Python packages, npm packages, vendored static files, translations.
# Re-runs only the steps whose inputs changed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=$(scripts/find-python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  echo "==> creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
fi
stamp=var/.setup-stamp
want=$( (cat requirements.lock package-lock.json; find locale payvand -path '*/locale/*' -name '*.po' -exec cat {} +) | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules ] && [ -d payvand/core/static/vendor ]; then
  exit 0
fi
echo "==> installing Python packages (requirements.lock)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.lock
if ! command -v npm >/dev/null 2>&1; then
  echo "npm (Node.js) is needed for the front-end packages: apt install nodejs npm" >&2
  exit 1
fi
echo "==> installing front-end packages (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
vendor=payvand/core/static/vendor
rm -rf "$vendor" && mkdir -p "$vendor"
cp -r node_modules/bootstrap/dist "$vendor/bootstrap"
mkdir -p "$vendor/bootstrap-icons" && cp -r node_modules/bootstrap-icons/font/. "$vendor/bootstrap-icons/"
mkdir -p "$vendor/vazirmatn" && cp node_modules/vazirmatn/Vazirmatn-Variable-font-face.css "$vendor/vazirmatn/" \
  && cp -r node_modules/vazirmatn/fonts "$vendor/vazirmatn/"
rm -rf "$vendor/vazirmatn/fonts/ttf" "$vendor/vazirmatn/fonts/variable"
cp -r node_modules/leaflet/dist "$vendor/leaflet"
mkdir -p "$vendor/chartjs" && cp node_modules/chart.js/dist/chart.umd.min.js "$vendor/chartjs/"
echo "==> compiling translations"
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
echo "$want" > "$stamp"
