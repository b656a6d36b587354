# Shared by the check scripts: start the installed service on a throwaway SQLite database.
# Usage: start_server PORT WORKDIR  (sets SERVER to the pid; stop_server kills it).

start_server() {
  local port=$1 work=$2
  export DATA_DIR="$work/data" LOG_LEVEL=WARNING
  unset DATABASE_URL
  llm-cost-estimator serve --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the service did not become ready on port $port" >&2
  tail -50 "$work/server.log" >&2
  return 1
}

stop_server() {
  kill "${SERVER:-}" 2>/dev/null || true
  wait "${SERVER:-}" 2>/dev/null || true
}
