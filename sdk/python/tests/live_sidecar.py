"""What the Python tests share: the built CLI, a temporary project, and a LIVE sidecar in it.

Not a test module (unittest discovery loads ``test_*.py`` only); the tests import it from
their own directory, which ``python3 -m unittest discover -s sdk/python/tests`` puts on the path.
"""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the gait package, sdk/python/gait

REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
GAIT_JS = os.path.join(REPO, "dist", "gait.cjs")
NODE = shutil.which("node") or "node"
CLI = [NODE, GAIT_JS]


def make_project(prefix, files):
    """A fresh temporary directory holding ``files`` (name -> text); the built CLI must exist."""
    if not os.path.exists(GAIT_JS):
        raise RuntimeError("dist/gait.cjs is missing: run `node scripts/build.mjs` first")
    directory = tempfile.mkdtemp(prefix=prefix)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(text)
    return directory


def run_cli(cwd, *args):
    """Runs the built CLI with --json in ``cwd`` and returns (exit code, parsed stdout)."""
    done = subprocess.run([*CLI, *args, "--json"], capture_output=True, text=True, cwd=cwd, timeout=60)
    return done.returncode, json.loads(done.stdout or "{}")


def start_sidecar(cwd, *flags, env=None):
    """Starts `gait gate serve --policy policy.yaml` on a free loopback port with ``flags`` added;
    returns (process, startup line) once it has printed its startup JSON."""
    process = subprocess.Popen(
        [*CLI, "gate", "serve", "--policy", "policy.yaml", "--listen", "127.0.0.1:0", "--json", "--no-config",
         "--trace-dir", "traces", *flags],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    ready, _, _ = select.select([process.stdout], [], [], 30)
    if not ready:
        process.kill()
        raise RuntimeError("gait gate serve did not start within 30s")
    startup = json.loads(process.stdout.readline())
    assert startup.get("ok") is True, startup
    return process, startup


def stop_sidecar(process, directory):
    """Stops the sidecar (SIGTERM, as a supervisor would) and removes the project directory."""
    if process is not None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            process.stdout.close()
            process.stderr.close()
    shutil.rmtree(directory or "", ignore_errors=True)
