#!/usr/bin/env bash
# Starts the rmesos notebook container next to Dockerized ZooKeeper and Mesos
# (zoo1..3, mesos1..3 and the agents on the Docker network "net"), in place
# of a PySpark Jupyter container. Build the image first:
#   docker build -f deploy/notebook.Dockerfile -t rmesos-notebook .
#
# Every setting is an environment variable (defaults in brackets):
#   IMAGE [rmesos-notebook]       NAME [rmesos-notebook]   NETWORK [net]
#   RMESOS_MASTER [zk://zoo1:2181,zoo2:2181,zoo3:2181/mesos]
#   RMESOS_ADVERTISE_HOST [$NAME]: how agents reach this container; the
#       container name resolves on a user-defined network. Agents outside
#       the network need this host's address and PUBLISH_DATA_PORT=1.
#   DATA_PORT [7077]: the driver's data server; agents fetch the executor
#       and in-memory partitions from it.
#   PUBLISH_DATA_PORT [0]: 1 also publishes DATA_PORT on this host.
#   JUPYTER_PORT [8888], UI_PORT [4040]: published on this host.
#   DATA_DIR [/data]: the shared data volume, mounted at the same path the
#       agents use, so that shared=True jobs name the same files everywhere.
#   DATA_SOURCE [$DATA_DIR]: what is mounted there, a host directory or a
#       Docker volume name.
#   WORK_VOLUME [$NAME-work]: volume (or host directory) for the notebooks.
#   RMESOS_USER [root]: the OS user the agents run the executors as. This
#       image runs as rmesos (uid 1000), which agents with --switch_user
#       (Mesos' default) have no account for: root works with agents that
#       know only root; set a user every agent has to run as that user.
#   RMESOS_SECRET_FILE: a host file holding the framework's secret; mounted
#       read-only. It goes to masters only over https (RMESOS_MASTER_SCHEME=https)
#       unless RMESOS_SECRET_OVER_HTTP=on.
#   RMESOS_MASTER_CA_FILE: a host PEM file of the CA of https masters;
#       mounted read-only. RMESOS_MASTER_SCHEME, RMESOS_SECRET_OVER_HTTP,
#       RMESOS_DATA_TLS, RMESOS_APP_NAME, RMESOS_PRINCIPAL, RMESOS_ROLE,
#       RMESOS_TASK_CPUS, RMESOS_TASK_MEM_MB, RMESOS_EXECUTOR_CPUS,
#       RMESOS_EXECUTOR_MEM_MB, RMESOS_MAX_CPUS, RMESOS_IDLE_TIMEOUT_SECS,
#       RMESOS_SPECULATION, RMESOS_MAX_ATTEMPTS,
#       RMESOS_JOB_TIMEOUT_SECS, RMESOS_CONNECT_TIMEOUT_SECS,
#       RMESOS_DATA_TIMEOUT_SECS, RMESOS_FAILOVER_TIMEOUT_SECS,
#       RMESOS_EXECUTOR_URI, RMESOS_EXECUTOR_PATH
#       and JUPYTER_TOKEN are passed on when set.
# Arguments after the options are passed to `jupyter lab`.
set -euo pipefail

IMAGE=${IMAGE:-rmesos-notebook}
NAME=${NAME:-rmesos-notebook}
NETWORK=${NETWORK:-net}
RMESOS_MASTER=${RMESOS_MASTER:-zk://zoo1:2181,zoo2:2181,zoo3:2181/mesos}
RMESOS_ADVERTISE_HOST=${RMESOS_ADVERTISE_HOST:-$NAME}
RMESOS_USER=${RMESOS_USER:-root}
DATA_PORT=${DATA_PORT:-7077}
PUBLISH_DATA_PORT=${PUBLISH_DATA_PORT:-0}
JUPYTER_PORT=${JUPYTER_PORT:-8888}
UI_PORT=${UI_PORT:-4040}
DATA_DIR=${DATA_DIR:-/data}
DATA_SOURCE=${DATA_SOURCE:-$DATA_DIR}
WORK_VOLUME=${WORK_VOLUME:-$NAME-work}
SECRET_IN_CONTAINER=/run/secrets/rmesos-secret
CA_IN_CONTAINER=/run/secrets/rmesos-masters-ca.pem

fail() {
    echo "start-notebook: $*" >&2
    exit 1
}

case $DATA_DIR in
    /*) ;;
    *) fail "DATA_DIR=$DATA_DIR must be an absolute path (the one the agents use)" ;;
esac
for port in DATA_PORT JUPYTER_PORT UI_PORT; do
    [[ ${!port} =~ ^[0-9]{1,5}$ ]] || fail "$port=${!port} is not a port number"
done

docker network inspect "$NETWORK" >/dev/null 2>&1 ||
    fail "Docker network '$NETWORK' does not exist (the one ZooKeeper and Mesos are on)"
if docker container inspect "$NAME" >/dev/null 2>&1; then
    fail "a container named '$NAME' exists; remove it first: docker rm -f $NAME"
fi

args=(
    --detach
    --name "$NAME"
    --hostname "$NAME"
    --network "$NETWORK"
    --publish "$JUPYTER_PORT:8888"
    --publish "$UI_PORT:4040"
    --volume "$DATA_SOURCE:$DATA_DIR"
    --volume "$WORK_VOLUME:/home/rmesos/work"
    --env "RMESOS_MASTER=$RMESOS_MASTER"
    --env "RMESOS_ADVERTISE_HOST=$RMESOS_ADVERTISE_HOST"
    --env "RMESOS_USER=$RMESOS_USER"
    --env "RMESOS_ADVERTISE_PORT=$DATA_PORT"
    --env "RMESOS_DATA_BIND=0.0.0.0:$DATA_PORT"
    --env "RMESOS_UI_BIND=0.0.0.0:4040"
    --env "RMESOS_DATA_DIR=$DATA_DIR"
)
if [ "$PUBLISH_DATA_PORT" = 1 ]; then
    args+=(--publish "$DATA_PORT:$DATA_PORT")
fi
if [ -n "${RMESOS_SECRET_FILE:-}" ]; then
    [ -r "$RMESOS_SECRET_FILE" ] || fail "RMESOS_SECRET_FILE=$RMESOS_SECRET_FILE is not readable"
    args+=(
        --volume "$(realpath "$RMESOS_SECRET_FILE"):$SECRET_IN_CONTAINER:ro"
        --env "RMESOS_SECRET_FILE=$SECRET_IN_CONTAINER"
    )
fi
if [ -n "${RMESOS_MASTER_CA_FILE:-}" ]; then
    [ -r "$RMESOS_MASTER_CA_FILE" ] || fail "RMESOS_MASTER_CA_FILE=$RMESOS_MASTER_CA_FILE is not readable"
    args+=(
        --volume "$(realpath "$RMESOS_MASTER_CA_FILE"):$CA_IN_CONTAINER:ro"
        --env "RMESOS_MASTER_CA_FILE=$CA_IN_CONTAINER"
    )
fi
# Passed by name: the values stay out of this host's process list.
for name in RMESOS_MASTER_SCHEME RMESOS_SECRET_OVER_HTTP RMESOS_DATA_TLS \
    RMESOS_APP_NAME RMESOS_PRINCIPAL RMESOS_ROLE RMESOS_TASK_CPUS \
    RMESOS_TASK_MEM_MB RMESOS_EXECUTOR_CPUS RMESOS_EXECUTOR_MEM_MB RMESOS_MAX_CPUS \
    RMESOS_IDLE_TIMEOUT_SECS RMESOS_SPECULATION RMESOS_MAX_ATTEMPTS \
    RMESOS_JOB_TIMEOUT_SECS RMESOS_CONNECT_TIMEOUT_SECS RMESOS_DATA_TIMEOUT_SECS \
    RMESOS_FAILOVER_TIMEOUT_SECS RMESOS_EXECUTOR_URI RMESOS_EXECUTOR_PATH JUPYTER_TOKEN; do
    if [ -n "${!name:-}" ]; then
        export "${name?}"
        args+=(--env "$name")
    fi
done

docker run "${args[@]}" "$IMAGE" "$@"

cat >&2 <<EOF
started $NAME on network $NETWORK
  JupyterLab:   http://localhost:$JUPYTER_PORT  (token: docker logs $NAME)
  status page:  http://localhost:$UI_PORT
  agents reach the driver at $RMESOS_ADVERTISE_HOST:$DATA_PORT
EOF
