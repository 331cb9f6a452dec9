#!/usr/bin/env python3
"""A minimal Mesos v1 HTTP executor for the simulator's tests (JSON API).

LAUNCH: reports TASK_RUNNING (its message: the MESOS_* environment as JSON),
then TASK_FINISHED with the task's data echoed back, unless the data is
b"hang" (then it waits for KILL and reports TASK_KILLED).
SHUTDOWN: exits. Updates stay pending until ACKNOWLEDGED, and are listed
again when subscribing, as the executor HTTP API asks.
"""
import base64
import http.client
import json
import os
import sys
import uuid

ENDPOINT = os.environ["MESOS_AGENT_ENDPOINT"]
FRAMEWORK = {"value": os.environ["MESOS_FRAMEWORK_ID"]}
EXECUTOR = {"value": os.environ["MESOS_EXECUTOR_ID"]}
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
pending = {}


def post(body):
    conn = http.client.HTTPConnection(ENDPOINT)
    conn.request("POST", "/api/v1/executor", json.dumps(body), HEADERS)
    return conn.getresponse()


def update(task_id, state, message="", data=None):
    status = {"task_id": task_id, "state": state, "source": "SOURCE_EXECUTOR",
              "uuid": base64.b64encode(uuid.uuid4().bytes).decode(), "message": message}
    if data is not None:
        status["data"] = data
    pending[status["uuid"]] = status
    response = post({"type": "UPDATE", "framework_id": FRAMEWORK, "executor_id": EXECUTOR,
                     "update": {"status": status}})
    assert response.status == 202, response.read()


def events(response):
    while True:
        size = b""
        while not size.endswith(b"\n"):
            byte = response.read(1)
            if not byte:
                return
            size += byte
        yield json.loads(response.read(int(size)))


def main():
    response = post({"type": "SUBSCRIBE", "framework_id": FRAMEWORK, "executor_id": EXECUTOR,
                     "subscribe": {"unacknowledged_updates": [{"status": s} for s in pending.values()]}})
    assert response.status == 200, response.read()
    for event in events(response):
        kind = event.get("type")
        if kind == "LAUNCH":
            task = event["launch"]["task"]
            env = {k: v for k, v in os.environ.items() if k.startswith("MESOS_")}
            update(task["task_id"], "TASK_RUNNING", json.dumps(env))
            if base64.b64decode(task.get("data", "")) != b"hang":
                update(task["task_id"], "TASK_FINISHED", "done", task.get("data", ""))
        elif kind == "KILL":
            update(event["kill"]["task_id"], "TASK_KILLED", "killed")
        elif kind == "ACKNOWLEDGED":
            pending.pop(event["acknowledged"]["uuid"], None)
        elif kind == "SHUTDOWN":
            sys.exit(0)


if __name__ == "__main__":
    main()
