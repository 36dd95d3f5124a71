#!/usr/bin/env bash
# A client in another language: Python's grpcio reads IT-styrgruppen's agenda
# from a demo server through server reflection, without the .proto files.
# Needs target/debug/samverkan (cargo build -p samverkan).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/target/debug/samverkan"
[ -x "$BIN" ] || { echo "build first: cargo build -p samverkan" >&2; exit 1; }

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/samverkan-py"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet grpcio grpcio-reflection protobuf
fi

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" serve --demo --dev-auth --listen "127.0.0.1:$PORT" \
  --database-url "sqlite://$WORK/samverkan.db?mode=rwc" --log warn >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done

# The demo has no meetings: IT-styrgruppen's secretary plans one with an agenda.
export SAMVERKAN_CONFIG="$WORK/session.json"
sv() { "$BIN" "$@" >/dev/null; }
sv login --server "http://127.0.0.1:$PORT" --dev-person eva.dahlgren@ulricehamn.se
sv agenda create-meeting --forum styrgruppen --title "IT-styrgruppen 1/2027" --start "2027-02-11 13:00"
sv agenda add-item "IT-styrgruppen 1/2027" --kind report --title "Informationssäkerhetsgruppens rapport, tertial 3"
sv agenda add-item "IT-styrgruppen 1/2027" --kind decision --title "Tjänstefieringsgruppens förslag till prislista 2027"

OUT="$(SAMVERKAN_SERVER="127.0.0.1:$PORT" \
  SAMVERKAN_TOKEN="$("$BIN" dev token --person maria.sjoberg@ulricehamn.se)" \
  "$VENV/bin/python" tests/python/agenda_via_reflection.py)"
echo "$OUT"
grep -q "^forum: IT-styrgruppen" <<<"$OUT"
grep -q "^meeting: IT-styrgruppen 1/2027" <<<"$OUT"
grep -q "1. Informationssäkerhetsgruppens rapport, tertial 3" <<<"$OUT"
grep -q "2. Tjänstefieringsgruppens förslag till prislista 2027" <<<"$OUT"
echo "python-reflection: ok"
