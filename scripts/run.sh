#!/usr/bin/env bash
# Starts everything `make run` promises, with embedded defaults, and stops it all on Ctrl-C. A service that dies is
# started again (back-off 1 s, 2 s, 4 s … 30 s; reset after a minute up), with a line on the terminal saying so.
#   scripts/run.sh           Rasa server :5005 (--enable-api), action server :5055, agency services :8000,
#                            web page with the chat widget :8080, trainers' and operators' console :8090,
#                            the notifier (reminders) and the local Twilio-compatible endpoint it texts through :8091
#   scripts/run.sh --shell   the same services, then `rasa shell` in this terminal instead of the REST server
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN="$VENV/bin"
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore
export MOMENTS_VAR_DIR=${MOMENTS_VAR_DIR:-var}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
AGENCIES_PORT=${AGENCIES_PORT:-8000}
WEB_PORT=${WEB_PORT:-8080}
CONSOLE_PORT=${CONSOLE_PORT:-8090}
TWILIO_LOCAL_PORT=${TWILIO_LOCAL_PORT:-8091}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
CREDENTIALS=${CREDENTIALS:-credentials.yml}
mkdir -p "$MOMENTS_VAR_DIR/logs"
# The notifier's database (reminders, consent): the SMS channel in Rasa and the notifier share it.
export NOTIFIER_DATABASE_URL=${NOTIFIER_DATABASE_URL:-sqlite:///$(cd "$MOMENTS_VAR_DIR" && pwd)/notifier.db}
export SMS_API_URL=${SMS_API_URL:-http://127.0.0.1:$TWILIO_LOCAL_PORT}
LOGS="$MOMENTS_VAR_DIR/logs"

# This installation's secrets (generated on the first run into var/secrets.env, mode 0600; README "For operators"),
# exported by scripts/with-secrets.sh, which runs this script again inside it.
if [ -z "${MOMENTS_SECRETS_LOADED:-}" ]; then exec scripts/with-secrets.sh "$0" "$@"; fi
SECRETS_FILE=$MOMENTS_SECRETS_FILE

# What the assistant keeps (README): logs rotated on every start (5 kept), conversations whose last message is older
# than CHAT_RETENTION (30d) deleted, handoff requests after HANDOFF_RETENTION (90d); `python -m moments.privacy`.
"$BIN/python" -m moments.privacy rotate-logs --logs "$LOGS" >/dev/null
"$BIN/python" -m moments.privacy purge --endpoints "$ENDPOINTS" --older-than "${CHAT_RETENTION:-30d}" --logs "$LOGS" \
  || echo "warning: python -m moments.privacy purge failed; conversations past their retention are still stored" >&2
if [ ! -f "$MOMENTS_VAR_DIR/.privacy-rewritten" ]; then  # once: rows an older version stored in clear
  "$BIN/python" -m moments.privacy rewrite --endpoints "$ENDPOINTS" && touch "$MOMENTS_VAR_DIR/.privacy-rewritten"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo; echo "stopping…"
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  echo "stopped."
}
trap stop INT TERM EXIT

# supervise NAME COMMAND…: runs COMMAND (log: $LOGS/NAME.log) and starts it again whenever it exits.
# $LOGS/.NAME.exits counts the exits, so wait_for can tell "crashed while starting" from "still starting".
supervise() {
  local name=$1; shift
  (
    child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; [ -n "$child" ] && wait "$child" 2>/dev/null; exit 0' TERM INT
    delay=1 exits=0
    while true; do
      started=$SECONDS
      "$@" >>"$LOGS/$name.log" 2>&1 & child=$!
      code=0; wait "$child" || code=$?
      exits=$((exits + 1)); echo "$exits" >"$LOGS/.$name.exits"
      if (( SECONDS - started > 60 )); then delay=1; fi
      echo "$(date '+%H:%M:%S') $name exited (code $code); starting it again in ${delay}s (log: $LOGS/$name.log)" >&2
      sleep "$delay"
      delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
    done
  ) &
  pids+=($!)
}

wait_for() {  # name url seconds
  local name=$1 url=$2 secs=$3
  for _ in $(seq "$secs"); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if [ -s "$LOGS/.$name.exits" ]; then
      echo "error: $name exited while starting; last lines of its log:" >&2
      tail -n 20 "$LOGS/$name.log" >&2; exit 1
    fi
    sleep 1
  done
  echo "error: $name did not answer at $url within ${secs}s (log: $LOGS/$name.log)" >&2; exit 1
}
rm -f "$LOGS"/.*.exits

if [ -f moments/agencies/__main__.py ]; then
  AGENCIES_PORT=$AGENCIES_PORT supervise agencies "$BIN/python" -m moments.agencies
  wait_for agencies "http://127.0.0.1:$AGENCIES_PORT/healthz" 60
  echo "agency services  http://127.0.0.1:$AGENCIES_PORT/docs"
fi

ACTIONS_PORT=$ACTIONS_PORT supervise actions "$BIN/python" -m moments.serve actions --actions actions \
  --port "$ACTIONS_PORT"
wait_for actions "http://127.0.0.1:$ACTIONS_PORT/health" 90
echo "action server    http://127.0.0.1:$ACTIONS_PORT/health"

# Reminders (moments/notifier): a local Twilio-compatible Messages API that records what it gets, and the notifier
# that texts through it (a real Twilio account: set SMS_API_URL, SMS_API_ACCOUNT_SID, TWILIO_API_TOKEN, SMS_FROM).
if [ "$SMS_API_URL" = "http://127.0.0.1:$TWILIO_LOCAL_PORT" ]; then
  TWILIO_LOCAL_PORT=$TWILIO_LOCAL_PORT supervise twilio-local "$BIN/python" -m moments.notifier.twilio_local \
    --port "$TWILIO_LOCAL_PORT"
  wait_for twilio-local "http://127.0.0.1:$TWILIO_LOCAL_PORT/healthz" 30
  echo "local Twilio API  http://127.0.0.1:$TWILIO_LOCAL_PORT   (what the notifier texts; make sms shows it)"
fi
AGENCIES_URL=${AGENCIES_URL:-http://127.0.0.1:$AGENCIES_PORT} supervise notifier "$BIN/python" -m moments.notifier run

if [ "${1:-}" = "--shell" ]; then
  echo "type a message in any of English, 中文, Bahasa Melayu or தமிழ்; /stop to quit"
  # rasa shell serves its own REST channel on RASA_PORT: loopback only, no HTTP API.
  "$BIN/rasa" shell -m models --endpoints "$ENDPOINTS" --interface 127.0.0.1 --port "$RASA_PORT" || true
  exit 0
fi

# --enable-api behind --auth-token $RASA_AUTH_TOKEN, on 127.0.0.1, CORS for the web page only (moments/serve.py).
supervise rasa "$BIN/python" -m moments.serve rasa --port "$RASA_PORT" -m models \
  --endpoints "$ENDPOINTS" --credentials "$CREDENTIALS"
wait_for rasa "http://127.0.0.1:$RASA_PORT/version" 180
# The web page: the browser talks to Rasa's socket.io on RASA_PORT directly, and logs in through the agencies.
WEB_PORT=$WEB_PORT RASA_PORT=$RASA_PORT AGENCIES_URL=${AGENCIES_URL:-http://127.0.0.1:$AGENCIES_PORT} \
  supervise web "$BIN/python" -m moments.web
wait_for web "http://127.0.0.1:$WEB_PORT/healthz" 30
echo "web page         http://127.0.0.1:$WEB_PORT/   <- open this in a browser"
# The console (moments/console): its accounts are created on the first run, the first passwords said here once.
"$BIN/python" -m moments.console init
CONSOLE_PORT=$CONSOLE_PORT RASA_PORT=$RASA_PORT CONSOLE_ENDPOINTS=$ENDPOINTS \
  supervise console "$BIN/python" -m moments.console
wait_for console "http://127.0.0.1:$CONSOLE_PORT/healthz" 60
echo "console          http://127.0.0.1:$CONSOLE_PORT/   (trainers and operators; own login)"

cat <<MSG
Rasa server      http://127.0.0.1:$RASA_PORT   (REST: POST /webhooks/rest/webhook; the HTTP API wants
                 ?token=\$(.venv/bin/python -m moments.secrets show RASA_AUTH_TOKEN))
Secrets          $SECRETS_FILE (README "For operators")

Talk to the bot:
  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
  make shell        (in another terminal)
  make sms          (a phone; START turns reminders on, then: make notifier-clock ADVANCE=28d; make notify)
Logs in $LOGS/. A service that stops is started again. Press Ctrl-C to stop everything.
MSG
wait "${pids[@]}" || true
