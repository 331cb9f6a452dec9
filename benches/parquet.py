#!/usr/bin/env python3
"""rmesos on Parquet vs pyarrow+numpy vs Polars, and the object path's cost.

Writes 1 GiB of float64 as Parquet (8M x 16, snappy, 8 row groups) and
prints one markdown table of the best of RUNS wall times (file in the page
cache: a warm-up run first) computing the same eight statistics (count,
mean, sample variance, nonzeros, min, max, L1 and L2 norms):

  - `rmesos-submit --master local[2]` on the local file (release build),
  - `pyarrow.parquet.read_table` + numpy on the same file,
  - Polars `scan_parquet(...).select(...)` (all its threads),
  - `rmesos-submit --master local[2]` on the same file as an object in a
    local S3-compatible server (moto_server on loopback), vs the file,
    and boto3 downloading that object once (the server's own speed: moto
    is a Python server, far slower than MinIO or S3; `--no-moto` skips
    these rows, which take minutes),
  - `rmesos-submit --master local[2]` on the same file behind a plain
    HTTP server with `Range` support that sends with sendfile(2) (so the
    server is not the bound): what the object path itself (ranged GETs
    through `object_store`) costs over reading the file.

Needs pyarrow, polars and moto[server] (`pip install polars`; the others
are in requirements-dev.txt). Usage: python3 benches/parquet.py [--no-moto]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS, COLS, GROUPS = 8 << 20, 16, 8
RUNS = 3
SUBMIT = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release",
                      "rmesos-submit")

PYARROW_NUMPY = r"""
import sys, time
import numpy as np, pyarrow.parquet as pq
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    table = pq.read_table(sys.argv[1])
    x = np.column_stack([c.to_numpy() for c in table.columns])
    x.mean(axis=0); x.var(axis=0, ddof=1); np.count_nonzero(x, axis=0)
    x.min(axis=0); x.max(axis=0); np.abs(x).sum(axis=0); np.sqrt((x * x).sum(axis=0))
    best = min(best, time.perf_counter() - t)
print(best)
"""

POLARS = r"""
import sys, time
import polars as pl
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    c = pl.all()
    pl.scan_parquet(sys.argv[1]).select(
        pl.len().alias("count"), c.mean().name.suffix("_mean"), c.var(ddof=1).name.suffix("_var"),
        (c != 0).sum().name.suffix("_nnz"), c.min().name.suffix("_min"), c.max().name.suffix("_max"),
        c.abs().sum().name.suffix("_l1"), (c * c).sum().sqrt().name.suffix("_l2"),
    ).collect()
    best = min(best, time.perf_counter() - t)
print(best, pl.__version__, pl.thread_pool_size())
"""


def write_table(path):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(1)
    per_group = ROWS // GROUPS
    schema = pa.schema([(f"c{j}", pa.float64()) for j in range(COLS)])
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for _ in range(GROUPS):
            x = rng.uniform(-100, 100, size=(per_group, COLS))
            writer.write_table(pa.table({f"c{j}": x[:, j] for j in range(COLS)}, schema=schema),
                               row_group_size=per_group)


def timed_submit(input_url, env):
    best = float("inf")
    for _ in range(RUNS + 1):  # the first run warms the page cache
        t = time.perf_counter()
        out = subprocess.run([SUBMIT, "--master", "local[2]", "--format", "json", input_url],
                             check=True, capture_output=True, text=True, env=env).stdout
        best = min(best, time.perf_counter() - t)
    assert json.loads(out)["count"] == ROWS
    return best


def python_timed(script, path):
    out = subprocess.run([sys.executable, "-c", script, path, str(RUNS)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), out[1:]


RANGE_SERVER = r"""
import http.server, os, re, sys
root = sys.argv[1]
class Ranged(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def send_file(self, body_wanted):
        path = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        start, end = 0, size
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) + 1 if match.group(2) else size
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if body_wanted:
            self.wfile.flush()
            with open(path, "rb") as f:
                sent = 0
                while sent < end - start:
                    sent += os.sendfile(self.connection.fileno(), f.fileno(), start + sent,
                                        end - start - sent)
    def do_GET(self):
        self.send_file(True)
    def do_HEAD(self):
        self.send_file(False)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ranged)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def with_range_server(path):
    """The file behind a sendfile HTTP server on loopback; rmesos's time on it."""
    server = subprocess.Popen([sys.executable, "-c", RANGE_SERVER, os.path.dirname(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/{os.path.basename(path)}"
        return timed_submit(url, dict(os.environ))
    finally:
        server.terminate()
        server.wait()


def with_moto(path):
    """The file uploaded to a moto_server on loopback; rmesos's time on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="bench",
                   AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        import boto3
        s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id="bench",
                          aws_secret_access_key="bench", region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        s3.upload_file(path, "bench", "table.parquet")
        # The server's own speed: one plain GET of the whole object.
        t = time.perf_counter()
        s3.download_file("bench", "table.parquet", os.path.join(os.path.dirname(path), "copy"))
        plain_get = time.perf_counter() - t
        return timed_submit("s3://bench/table.parquet", env), plain_get
    finally:
        server.terminate()
        server.wait()


def main():
    if not os.path.exists(SUBMIT):
        subprocess.run(["cargo", "build", "--release", "-p", "rmesos-scheduler", "--bin", "rmesos-submit"],
                       cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="rmesos-parquet-bench-")
    try:
        path = os.path.join(tmp, "table.parquet")
        write_table(path)
        size = os.path.getsize(path)
        rmesos_local = timed_submit(path, dict(os.environ))
        arrow, _ = python_timed(PYARROW_NUMPY, path)
        polars, polars_info = python_timed(POLARS, path)
        http_range = with_range_server(path)
        use_moto = shutil.which("moto_server") and "--no-moto" not in sys.argv[1:]
        s3 = with_moto(path) if use_moto else None
        gib = ROWS * COLS * 8 / (1 << 30)
        print(f"{ROWS} x {COLS} float64 ({gib:.2f} GiB of values; file {size / (1 << 20):.0f} MiB, "
              f"snappy, {GROUPS} row groups), best of {RUNS} after a warm-up, {os.cpu_count()} cores\n")
        print("| reader | seconds | GiB/s | vs rmesos local[2] |")
        print("| --- | ---: | ---: | ---: |")
        rows = [("rmesos-submit local[2], local file", rmesos_local),
                ("pyarrow read_table + numpy", arrow),
                (f"Polars {polars_info[0]} scan_parquet ({polars_info[1]} threads)", polars),
                ("rmesos-submit local[2], same file over HTTP ranged GETs (sendfile server)",
                 http_range)]
        if s3 is not None:
            rows.append(("rmesos-submit local[2], object in moto S3", s3[0]))
            rows.append(("(reference: boto3 download_file of that object from moto, once)", s3[1]))
        for name, seconds in rows:
            print(f"| {name} | {seconds:.3f} | {gib / seconds:.2f} | {seconds / rmesos_local:.2f}x |")
        if s3 is None:
            print("\n(moto skipped (--no-moto) or not installed: the S3 rows are missing)")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
