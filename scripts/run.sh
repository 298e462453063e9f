#!/usr/bin/env bash
# `make run`: the model server (as `make serve` chooses) and the function on one laptop; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${PY:=.venv/bin/python}" "${MODELS_DIR:=serving/cloudrun/models}"
: "${TF_SERVING_PORT:=8501}" "${FUNCTION_PORT:=8080}"
serving_url="http://127.0.0.1:${TF_SERVING_PORT}"
function_url="http://localhost:${FUNCTION_PORT}"
pids=()

stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'echo; echo "Stopping."; exit 0' INT TERM # Ctrl-C is the normal way out, not a failure

# wait_until WHAT PID: poll until WHAT ("models": both models AVAILABLE; "function": /healthz answers) while PID lives.
wait_until() {
  "$PY" - "$1" "$2" "$serving_url" "$function_url" <<'PYEOF'
import os, sys, time, requests
what, pid, serving_url, function_url = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def ready():
    if what == "function":
        return requests.get(f"{function_url}/healthz", timeout=2) is not None
    statuses = [requests.get(f"{serving_url}/v1/models/{m}", timeout=2).json() for m in ("retrieval", "ranking")]
    return all(any(v["state"] == "AVAILABLE" for v in s["model_version_status"]) for s in statuses)

deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"The {what} server exited; see its messages above.")
    try:
        if ready():
            sys.exit(0)
    except (requests.RequestException, KeyError, ValueError):
        pass
    time.sleep(0.3)
sys.exit(f"The {what} server was not ready within 300 s.")
PYEOF
}

# Each server gets its own process group so that stopping it also stops what it spawned (docker, gunicorn).
setsid env MODELS_DIR="$MODELS_DIR" TF_SERVING_PORT="$TF_SERVING_PORT" bash serving/serve.sh &
pids+=($!)
echo "Waiting for the models to load at $serving_url ..."
wait_until models "${pids[0]}"

setsid env TF_SERVING_URL="$serving_url" "$PY" -m functions_framework \
  --source=functions/recommend/main.py --target=recommend --host=127.0.0.1 --port="$FUNCTION_PORT" &
pids+=($!)
wait_until function "${pids[1]}"

cat <<TXT

recommend is serving on ${function_url} (models at ${serving_url}). Try:

  curl -X POST -H "Content-Type: application/json" -d '{"user_id":"15"}' ${function_url}/recommend

Ctrl-C stops both.
TXT
wait -n "${pids[@]}"
echo "A server exited; stopping the other." >&2
exit 1
