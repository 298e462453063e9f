#!/usr/bin/env bash
# `make serve`: serve MODELS_DIR (a models.config and SavedModels, laid out for /models) on TF_SERVING_PORT with
# the first model server that runs on this machine:
#   1. tensorflow_model_server on the PATH (the config's /models paths are rewritten to MODELS_DIR),
#   2. Docker with a running daemon: the pinned tensorflow/serving image (x86-64) with MODELS_DIR at /models,
#   3. the emulator (python -m serving.emulator), a development stand-in; production runs TensorFlow Serving.
# MODEL_SERVER=native|docker|emulator forces one. Arguments are passed on as TF Serving flags.
set -euo pipefail
cd "$(dirname "$0")/.."

models_dir=${MODELS_DIR:-serving/cloudrun/models}
port=${TF_SERVING_PORT:-8501}
grpc_port=${TF_SERVING_GRPC_PORT:-8500}
py=${PY:-.venv/bin/python}
choice=${MODEL_SERVER:-auto}

die() {
  echo "serve: $*" >&2
  exit 1
}

[[ -f "$models_dir/models.config" ]] || die "$models_dir/models.config not found (MODELS_DIR must be laid out for /models)"
models_dir=$(cd "$models_dir" && pwd)
image=$(tr -d '[:space:]' <serving/cloudrun/tf-serving-image.txt)

serve_native() {
  # models.config names container paths (/models/...); a server running here needs this machine's paths.
  local config escaped
  config=$(mktemp "${TMPDIR:-/tmp}/models.config.XXXXXX")
  escaped=$(printf '%s' "$models_dir" | sed 's/[&#\]/\\&/g')
  sed -E "s#([\"'])/models([/\"'])#\\1${escaped}\\2#g" "$models_dir/models.config" >"$config"
  echo "serve: $models_dir on :$port with $(command -v tensorflow_model_server) (config rewritten to $config)"
  exec tensorflow_model_server --port="$grpc_port" --rest_api_port="$port" --model_config_file="$config" "$@"
}

serve_docker() {
  echo "serve: $models_dir on 127.0.0.1:$port with Docker image $image (linux/amd64)"
  # --init forwards Ctrl-C to the server; the image's own entrypoint script would swallow it.
  exec docker run --rm --init --platform linux/amd64 -p "127.0.0.1:$port:8501" -v "$models_dir:/models:ro" \
    --entrypoint tensorflow_model_server "$image" \
    --port=8500 --rest_api_port=8501 --model_config_file=/models/models.config "$@"
}

serve_emulator() {
  [[ -x "$py" ]] || die "$py not found: run make setup first"
  echo "serve: $models_dir on 127.0.0.1:$port with the TF Serving emulator" \
    "(a development stand-in; production runs TensorFlow Serving)"
  exec "$py" -m serving.emulator --rest_api_port="$port" --model_config_file=/models/models.config \
    --mount="$models_dir:/models" "$@"
}

case "$choice" in
  native) serve_native "$@" ;;
  docker) serve_docker "$@" ;;
  emulator) serve_emulator "$@" ;;
  auto)
    if command -v tensorflow_model_server >/dev/null 2>&1; then
      serve_native "$@"
    elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      serve_docker "$@"
    else
      serve_emulator "$@"
    fi
    ;;
  *) die "MODEL_SERVER must be auto, native, docker or emulator, not '$choice'" ;;
esac
