#!/usr/bin/env bash
# What the rmesos notebook image runs: checks and prints how the driver is
# wired to the cluster, then replaces itself with JupyterLab. The notebook's
# kernels inherit the RMESOS_* variables exported here, so
# `rmesos.Context()` in a cell finds the cluster without arguments.
#
# Environment (defaults in brackets):
#   RMESOS_MASTER          local, local[N], local[*], zk://host:port[,...]/path
#                          or http(s)://host:port [local[*]]
#   RMESOS_ADVERTISE_HOST  name or address agents use to reach this container
#                          [the driver's address towards the master]
#   RMESOS_DATA_BIND       data-server bind address [0.0.0.0:7077]
#   RMESOS_ADVERTISE_PORT  data-server port agents connect to [the bind port]
#   RMESOS_UI_BIND         status page bind address, or "off" [0.0.0.0:4040]
#   RMESOS_DATA_DIR        shared data volume, same path as on the agents [/data]
#   RMESOS_EXECUTOR_URI / RMESOS_EXECUTOR_PATH  where agents get the executor
#                          [served by this driver from the bundled binary]
#   RMESOS_PRINCIPAL, RMESOS_SECRET_FILE, RMESOS_ROLE, RMESOS_TASK_CPUS,
#   RMESOS_TASK_MEM_MB     passed through to the driver
#   JUPYTER_IP [0.0.0.0], JUPYTER_PORT [8888], NOTEBOOK_DIR [$HOME/work],
#   JUPYTER_TOKEN (read by Jupyter itself; empty or unset: Jupyter generates
#   one and logs it); arguments are passed on to `jupyter lab` (Jupyter
#   refuses a second --ip or --port: use the variables for those).
# Exit status 2 when the wiring is invalid (before Jupyter starts).
set -euo pipefail

say() { printf 'rmesos-notebook: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}

# Credentials in a zk:// URL (zk://user:pass@host...) never reach the log.
redact_url() {
    sed -E 's#^([a-z]+://)[^@/]*@#\1***@#' <<<"$1"
}

# Whether $1 is a port number, at least $2 (default 0, "any free port").
is_port() {
    [[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= ${2:-0} && 10#$1 <= 65535))
}

# HOST:PORT -> PORT, or exit naming the variable.
port_of() {
    local name=$1 address=$2
    if [[ $address != *:* ]] || ! is_port "${address##*:}"; then
        die "$name=$address: expected HOST:PORT with a port number"
    fi
    printf '%s' "${address##*:}"
}

jupyter_ip=${JUPYTER_IP:-0.0.0.0}
jupyter_port=${JUPYTER_PORT:-8888}
is_port "$jupyter_port" 1 ||
    die "JUPYTER_PORT=$jupyter_port is not a port number"
notebook_dir=${NOTEBOOK_DIR:-$HOME/work}
[ -d "$notebook_dir" ] || die "NOTEBOOK_DIR=$notebook_dir: no such directory"

export RMESOS_MASTER=${RMESOS_MASTER:-local[*]}
export RMESOS_DATA_BIND=${RMESOS_DATA_BIND:-0.0.0.0:7077}
export RMESOS_UI_BIND=${RMESOS_UI_BIND:-0.0.0.0:4040}
export RMESOS_DATA_DIR=${RMESOS_DATA_DIR:-/data}

case $RMESOS_MASTER in
    local | 'local[*]') cluster=false ;;
    local\[*\])
        [[ $RMESOS_MASTER =~ ^local\[[1-9][0-9]*\]$ ]] ||
            die "RMESOS_MASTER=$RMESOS_MASTER: expected local, local[N] or local[*]"
        cluster=false
        ;;
    zk://?*/?* | http://?* | https://?*) cluster=true ;;
    *) die "RMESOS_MASTER=$(redact_url "$RMESOS_MASTER"): expected local[*], zk://host:port[,host:port...]/path or http(s)://host:port" ;;
esac

data_port=$(port_of RMESOS_DATA_BIND "$RMESOS_DATA_BIND")
if [ "$RMESOS_UI_BIND" != off ]; then
    ui_port=$(port_of RMESOS_UI_BIND "$RMESOS_UI_BIND")
fi

say "master:          $(redact_url "$RMESOS_MASTER")"
if $cluster; then
    # Unset, the driver advertises the local address of its connection to
    # the master, and the port it bound.
    advertised_host=${RMESOS_ADVERTISE_HOST:-"this container's address towards the master"}
    if [ -n "${RMESOS_ADVERTISE_PORT:-}" ]; then
        is_port "$RMESOS_ADVERTISE_PORT" 1 ||
            die "RMESOS_ADVERTISE_PORT=$RMESOS_ADVERTISE_PORT is not a port number"
        advertised_port=$RMESOS_ADVERTISE_PORT
    elif [ "$data_port" -eq 0 ]; then
        advertised_port="a free port chosen at start (agents must reach this container directly)"
    else
        advertised_port=$data_port
    fi
    say "data server:     binds $RMESOS_DATA_BIND; agents connect to $advertised_host:$advertised_port"
    if [ -n "${RMESOS_EXECUTOR_URI:-}" ]; then
        say "executor:        agents fetch $(redact_url "$RMESOS_EXECUTOR_URI")"
    elif [ -n "${RMESOS_EXECUTOR_PATH:-}" ]; then
        say "executor:        installed on the agents at $RMESOS_EXECUTOR_PATH"
    else
        executor=$("${PYTHON:-python3}" -c 'import rmesos._paths as p; print(p.executor_path())') ||
            die "the rmesos package has no bundled rmesos-executor to serve to the agents"
        say "executor:        served to the agents from $executor"
    fi
    [ -z "${RMESOS_PRINCIPAL:-}" ] || say "principal:       $RMESOS_PRINCIPAL"
    if [ -n "${RMESOS_SECRET_FILE:-}" ]; then
        [ -r "$RMESOS_SECRET_FILE" ] || die "RMESOS_SECRET_FILE=$RMESOS_SECRET_FILE: not readable"
        say "secret:          read from $RMESOS_SECRET_FILE"
    fi
    [ -z "${RMESOS_ROLE:-}" ] || say "role:            $RMESOS_ROLE"
else
    say "jobs run inside this container (set RMESOS_MASTER=zk://... to use Mesos)"
fi
if [ "$RMESOS_UI_BIND" = off ]; then
    say "status page:     off"
else
    say "status page:     binds $RMESOS_UI_BIND (port $ui_port)"
fi
if [ -d "$RMESOS_DATA_DIR" ]; then
    say "shared data:     $RMESOS_DATA_DIR (shared=True jobs need it at this path on every agent)"
else
    say "shared data:     $RMESOS_DATA_DIR is not mounted: shared=True jobs cannot run"
fi
# An empty JUPYTER_TOKEN (e.g. an unset compose variable) would turn
# authentication off; Jupyter then makes a token and logs it instead.
if [ -z "${JUPYTER_TOKEN:-}" ]; then
    unset JUPYTER_TOKEN
    token="generated (see the log below)"
else
    token="from JUPYTER_TOKEN"
fi
say "jupyter:         $jupyter_ip:$jupyter_port, notebooks in $notebook_dir, token $token"

exec jupyter lab \
    --ip="$jupyter_ip" \
    --port="$jupyter_port" \
    --no-browser \
    --ServerApp.root_dir="$notebook_dir" \
    "$@"
