#!/usr/bin/env bash
# `make messages`: update every catalog, then compile them.
#   - locale/ holds the strings of the apps without a catalog of their own (and of payvand/templates);
#   - an app with payvand/<app>/locale/ keeps its own catalog there (new apps start one with
#     `mkdir -p payvand/<app>/locale/{fa,hu}/LC_MESSAGES` and `make messages`).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(pwd)/.venv/bin/python"
common=(-l fa -l hu --ignore=.venv --ignore=node_modules --ignore=var --ignore=bench --ignore=test-artifacts)
own=()
for dir in payvand/*/locale; do
  [ -d "$dir" ] || continue
  app=$(dirname "$dir")
  own+=("--ignore=$app")
  # With LOCALE_PATHS empty (PAYVAND_APP_MESSAGES=1) makemessages writes the app's strings to its own locale/.
  (cd "$app" && PAYVAND_APP_MESSAGES=1 DJANGO_SETTINGS_MODULE=payvand.settings PYTHONPATH="$OLDPWD" \
    "$PY" -P -m django makemessages "${common[@]}" -v 0)  # -P: the app dir is not on sys.path (its selectors.py would shadow the stdlib)
done
"$PY" manage.py makemessages "${common[@]}" "${own[@]}" -v 0
"$PY" manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
