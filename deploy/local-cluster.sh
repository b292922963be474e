#!/usr/bin/env bash
# A cluster of Aegis Gateway nodes from processes on this machine, the topology of
# deploy/compose.yaml without a container runtime: N nodes (bin/aegis serve) on one PostgreSQL
# database, a Redis server of the cluster's own, nginx in front with deploy/nginx/aegis.conf
# (plain HTTP on loopback here: no certificate needed to try it).
#
#   deploy/local-cluster.sh up [--nodes 3] [--port 8080]   start (prints the URLs and the operator token)
#   deploy/local-cluster.sh status                          what runs
#   deploy/local-cluster.sh down                            stop what `up` started (the data stays)
#   deploy/local-cluster.sh clean                           down, then drop the database and the files
#
# Needs PostgreSQL reachable on 127.0.0.1:5432 as user postgres without a password (set PGHOST,
# PGPORT, PGUSER to use another), and Debian's redis-server and nginx (apt-get install
# redis-server nginx-light). Everything it makes lives under ./data/local-cluster/ (or
# $AEGIS_LOCAL_CLUSTER_DIR), in the database aegis_local_cluster (or $AEGIS_LOCAL_CLUSTER_DB).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${AEGIS_LOCAL_CLUSTER_DIR:-$ROOT/data/local-cluster}"
DB="${AEGIS_LOCAL_CLUSTER_DB:-aegis_local_cluster}"
PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

need() { command -v "$1" >/dev/null || [[ -x "/usr/sbin/$1" ]] || die "$1 is not installed (apt-get install $2)"; }
program() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$((seconds * 5))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${seconds}s (logs in $DIR)"
}

http_ok() { exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3 && head -n1 <&3 | grep -q ' 200 '; }

up() {
  local nodes=3 port=8080
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --nodes) nodes="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      *) die "unknown option $1 (up takes --nodes N and --port P)" ;;
    esac
  done
  [[ "$nodes" =~ ^[1-9][0-9]?$ ]] || die "--nodes takes 1 to 99"
  need psql postgresql-client; need redis-server redis-server; need nginx nginx-light
  [[ -f "$DIR/redis.pid" ]] && running "$DIR/redis.pid" && die "already up (deploy/local-cluster.sh down first)"
  mkdir -p "$DIR"
  psql -q -d postgres -c "SELECT 1" >/dev/null 2>&1 || die "PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER"
  psql -q -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || psql -q -d postgres -c "CREATE DATABASE $DB" >/dev/null

  local redis_port=$((port + 100))
  say "Redis on 127.0.0.1:$redis_port"
  "$(program redis-server)" --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" \
    --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
  wait_for 20 Redis bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port"

  [[ -f "$DIR/admin-token" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/admin-token")
  # One backend key for every node: agents pin it.
  [[ -f "$DIR/keys/backend.pem" ]] || "$ROOT/bin/aegis" keygen --out "$DIR/keys/backend.pem" >/dev/null

  local upstream="" i node_port
  for i in $(seq 1 "$nodes"); do
    node_port=$((port + i))
    say "node-$i on 127.0.0.1:$node_port"
    (
      export DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB" REDIS_URL="redis://127.0.0.1:$redis_port"
      export AEGIS_NODE_ID="node-$i" WEBSOCKET_PORT="$node_port" AEGIS_DATA_DIR="$DIR/node-$i"
      export AEGIS_ADMIN_TOKEN="$(cat "$DIR/admin-token")"
      export AEGIS_TRUSTED_PROXIES=127.0.0.1   # nginx, on this machine: limits count its clients
      export AUTH_PRIVATE_KEY_PATH="$DIR/keys/backend.pem" AUTH_PUBLIC_KEY_PATH="$DIR/keys/backend.pem.pub"
      nohup "$ROOT/bin/aegis" serve > "$DIR/node-$i.log" 2>&1 &
      echo $! > "$DIR/node-$i.pid"
    )
    upstream+="        server 127.0.0.1:$node_port max_fails=3 fail_timeout=10s;\n"
    # The first node migrates the database; the others start once it listens.
    [[ $i -eq 1 ]] && wait_for 180 node-1 http_ok "$node_port" /readyz
  done
  for i in $(seq 2 "$nodes"); do wait_for 180 "node-$i" http_ok "$((port + i))" /readyz; done

  # deploy/nginx/aegis.conf, with these nodes and a plain listener on loopback.
  mkdir -p "$DIR/nginx"
  sed -e "/# @nodes/,/# @end-nodes/c\\$upstream" \
      -e "/# @listen/,/# @end-listen/c\\        listen 127.0.0.1:$port;" \
      -e "s#^user .*;#$( [[ $(id -u) -eq 0 ]] && echo 'user root;' )#" \
      -e "s#^pid .*;#pid $DIR/nginx.pid;#" -e "s#^error_log .*;#error_log $DIR/nginx.log warn;#" \
      -e "s#^worker_rlimit_nofile .*;##" -e "s#worker_connections [0-9]*;#worker_connections 4096;#" \
      -e "s#^http {#http {\n    client_body_temp_path $DIR/nginx/body;\n    proxy_temp_path $DIR/nginx/proxy;#" \
      "$ROOT/deploy/nginx/aegis.conf" > "$DIR/nginx.conf"
  "$(program nginx)" -p "$DIR/nginx" -c "$DIR/nginx.conf"
  wait_for 20 nginx http_ok "$port" /healthz

  cat <<EOT

  Aegis Gateway cluster: $nodes nodes behind nginx
  REST API and agents  http://127.0.0.1:$port   (WebSocket: ws://127.0.0.1:$port/ws/agent)
  Operator token       $(cat "$DIR/admin-token")
  Backend key          $(grep -m1 'Backend key' "$DIR/node-1.log" | awk '{print $3}')   (agents pin it)
  Nodes                curl -s -H "Authorization: Bearer \$(cat $DIR/admin-token)" http://127.0.0.1:$port/api/v1/nodes
  Logs                 $DIR/*.log
  Stop                 deploy/local-cluster.sh down

EOT
}

status() {
  local f
  for f in "$DIR"/*.pid; do
    [[ -e "$f" ]] || { echo "nothing runs"; return; }
    if running "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): stopped"; fi
  done
}

down() {
  local f
  for f in "$DIR"/node-*.pid; do
    [[ -e "$f" ]] || continue
    running "$f" && kill -TERM "$(cat "$f")" 2>/dev/null && say "draining $(basename "$f" .pid)"
  done
  for f in "$DIR"/node-*.pid; do
    [[ -e "$f" ]] || continue
    for _ in $(seq 1 300); do running "$f" || break; sleep 0.2; done
    rm -f "$f"
  done
  if running "$DIR/nginx.pid"; then "$(program nginx)" -p "$DIR/nginx" -c "$DIR/nginx.conf" -s quit; fi
  if running "$DIR/redis.pid"; then kill "$(cat "$DIR/redis.pid")"; fi
  rm -f "$DIR/redis.pid"
  say "stopped"
}

clean() {
  down
  psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null || true
  rm -rf "$DIR"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  status) status ;;
  down) down ;;
  clean) clean ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
