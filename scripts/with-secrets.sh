#!/usr/bin/env bash
# Runs a command with this installation's secrets in its environment (README "For operators"):
#   scripts/with-secrets.sh .venv/bin/python -m moments.agencies
# Creates var/secrets.env on first use (moments/secrets.py); a variable already set in the environment wins.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
"$PY" -m moments.secrets ensure
SECRETS_FILE=$("$PY" -m moments.secrets path)
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  key=${line%%=*} value=${line#*=}   # not `read` with IFS='=': it would eat a value's trailing '=' (base64)
  if [ -z "${!key:-}" ]; then export "$key=$value"; fi
done <"$SECRETS_FILE"
export MOMENTS_SECRETS_FILE=$SECRETS_FILE MOMENTS_SECRETS_LOADED=1
if [ "${MOMENTS_DEV:-}" = "1" ]; then
  echo "!! MOMENTS_DEV=1: development shortcuts are allowed (weak secrets, unsigned SMS). Do not expose this." >&2
fi
exec "$@"
