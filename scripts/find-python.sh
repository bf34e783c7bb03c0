#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10; we pin 3.10).
# Looks on PATH, then pyenv, then uv. Exits 1 with a clear message when there is none.
set -u
want="3.10"
check() { [ -n "$1" ] && [ -x "$1" ] && [ "$("$1" -c 'import sys;print("%d.%d"%sys.version_info[:2])' 2>/dev/null)" = "$want" ]; }
for c in "${PYTHON:-}" "$(command -v python3.10 2>/dev/null)"; do
  if check "$c"; then echo "$c"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}(\.[0-9]+)?$" | sort -V -r); do
    c="$(pyenv root)/versions/$v/bin/python$want"
    if check "$c"; then echo "$c"; exit 0; fi
  done
fi
if command -v uv >/dev/null 2>&1; then
  c="$(uv python find "$want" 2>/dev/null)"
  if check "$c"; then echo "$c"; exit 0; fi
fi
cat >&2 <<MSG
error: no Python $want interpreter found.
Rasa Open Source 3.6 runs on Python 3.8-3.10 and this project pins 3.10.
Install one, then run make again, e.g.:
  pyenv install 3.10.13        (pyenv)
  uv python install 3.10       (uv)
  apt-get install python3.10   (Debian/Ubuntu with deadsnakes)
or point PYTHON=/path/to/python3.10 at it.
MSG
exit 1
