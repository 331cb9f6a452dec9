# The rmesos notebook image: JupyterLab + numpy + rmesos (the driver, with the
# rmesos-executor binary that Mesos agents fetch from it). No Spark, no Java.
#
# Build from the repository root (deploy/notebook.Dockerfile.dockerignore
# keeps build outputs out of the context):
#   docker build -f deploy/notebook.Dockerfile -t rmesos-notebook .
# Run it next to Dockerized ZooKeeper/Mesos with deploy/start-notebook.sh.

ARG PYTHON_VERSION=3.11
ARG RUST_IMAGE=rust:1.95-slim-bookworm

# --- builder: the rmesos wheel, its executor built against glibc 2.17 -----
FROM ${RUST_IMAGE} AS builder
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# pip runs the package's own build backend (python/build_backend), which
# fetches maturin, cargo-zigbuild and ziglang into its build environment and
# refuses to bundle an executor that needs a glibc newer than 2.17.
ENV RMESOS_EXECUTOR_BUILD=zig
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ./python

# --- notebook --------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm
ARG NB_USER=rmesos
ARG NB_UID=1000
RUN useradd --create-home --uid "${NB_UID}" --shell /bin/bash "${NB_USER}" \
 && mkdir -p "/home/${NB_USER}/work" /data \
 && chown "${NB_USER}:${NB_USER}" "/home/${NB_USER}/work" /data

COPY --from=builder /wheels/ /tmp/wheels/
RUN pip install --no-cache-dir "jupyterlab>=4,<5" "numpy>=1.24,<3" /tmp/wheels/rmesos-*.whl \
 && rm -rf /tmp/wheels \
 && python -c "import rmesos._paths as p; p.executor_path()"

COPY deploy/entrypoint.sh /usr/local/bin/rmesos-notebook-entrypoint
# A new notebooks volume starts with these (Docker copies the image's files).
COPY --chown=${NB_USER}:${NB_USER} examples/ /home/${NB_USER}/work/examples/

# The wiring; deploy/start-notebook.sh or compose sets the cluster's values.
# RMESOS_MASTER unset means local[*]: jobs run inside the notebook.
ENV JUPYTER_PORT=8888 \
    NOTEBOOK_DIR=/home/${NB_USER}/work \
    RMESOS_DATA_BIND=0.0.0.0:7077 \
    RMESOS_UI_BIND=0.0.0.0:4040 \
    RMESOS_DATA_DIR=/data

USER ${NB_USER}
WORKDIR /home/${NB_USER}/work
# 8888 JupyterLab, 4040 rmesos status page, 7077 the data server agents read
# partitions and the executor binary from.
EXPOSE 8888 4040 7077

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api' % os.environ.get('JUPYTER_PORT', '8888'), timeout=4)"]

ENTRYPOINT ["rmesos-notebook-entrypoint"]
