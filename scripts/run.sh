#!/usr/bin/env bash
# `make run`: the model server (as `make serve` chooses) and the function on one laptop; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${PY:=.venv/bin/python}" "${MODELS_DIR:=serving/cloudrun/models}"
: "${TF_SERVING_PORT:=8501}" "${FUNCTION_PORT:=8080}"
serving_url="http://127.0.0.1:${TF_SERVING_PORT}"
pids=()

stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

# Each server gets its own process group so that stopping it also stops what it spawned (docker, gunicorn).
setsid env MODELS_DIR="$MODELS_DIR" TF_SERVING_PORT="$TF_SERVING_PORT" bash serving/serve.sh &
pids+=($!)

echo "Waiting for the models to load at $serving_url ..."
"$PY" - "$serving_url" "${pids[0]}" <<'PYEOF'
import os, sys, time, requests
url, server_pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        os.kill(server_pid, 0)
    except ProcessLookupError:
        sys.exit("The model server exited; see its messages above.")
    try:
        states = [
            [v["state"] for v in requests.get(f"{url}/v1/models/{m}", timeout=2).json()["model_version_status"]]
            for m in ("retrieval", "ranking")
        ]
        if all("AVAILABLE" in s for s in states):
            sys.exit(0)
    except (requests.RequestException, KeyError, ValueError):
        pass
    time.sleep(0.5)
sys.exit("The models did not become AVAILABLE within 300 s.")
PYEOF

setsid env TF_SERVING_URL="$serving_url" "$PY" -m functions_framework \
  --source=functions/recommend/main.py --target=recommend --host=127.0.0.1 --port="$FUNCTION_PORT" &
pids+=($!)

cat <<TXT

recommend is serving on http://localhost:${FUNCTION_PORT} (models at ${serving_url}). Try:

  curl -X POST -H "Content-Type: application/json" -d '{"user_id":"15"}' http://localhost:${FUNCTION_PORT}/recommend

Ctrl-C stops both.
TXT
wait -n "${pids[@]}"
echo "A server exited; stopping the other." >&2
