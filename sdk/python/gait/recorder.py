"""Runpack capture for Python agents: collect the run's tool calls, then let the CLI record them.

RunRecorder builds the very document ``gait run record`` takes (``{run, intents, results, refs}``)
and hands it to the CLI, which digests, signs (with its key flags) and verifies the runpack, so a
Python run and a TypeScript one (``startRun`` in the SDK) give the same artifact.
"""

import json
import os
import subprocess
import tempfile
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .client import _cli_command
from .errors import GaitError


class RunRecorder:
    """The calls of one run. ``record_call`` adds a decided call; ``finish`` writes the runpack
    (``<out_dir>/runpack_<run_id>.zip``, default ``./gait-out`` under ``cwd``) and returns the CLI's
    JSON answer (``bundle``, ``run_id``, ``manifest_digest``...) with ``path``, the runpack's
    absolute path."""

    def __init__(
        self,
        run_id: str,
        cli: Optional[Union[str, Sequence[str]]] = None,
        cwd: Optional[str] = None,
        out_dir: Optional[str] = None,
        capture_mode: str = "reference",
        cli_args: Sequence[str] = (),
    ) -> None:
        self.run_id = run_id
        self.cli = _cli_command(cli)
        self.cwd = cwd
        self.out_dir = out_dir
        self.capture_mode = capture_mode
        #: Extra ``gait run record`` flags, e.g. key flags to sign the runpack.
        self.cli_args = list(cli_args)
        self.created_at = _utc_now()
        self.intents: List[Dict[str, Any]] = []
        self.results: List[Dict[str, Any]] = []
        self.receipts: List[Dict[str, Any]] = []

    def record_call(self, intent: Mapping[str, Any], decision: Mapping[str, Any], result: Any = None,
                    error: Optional[BaseException] = None) -> str:
        """Records one decided call: its intent, then the tool's result, its error, or (not
        allowed) the decision as the refusal; and a ``gait.trace`` receipt for the decision's trace."""
        intent_id = "call_%04d" % (len(self.intents) + 1)
        self.intents.append({"intent_id": intent_id, "tool_name": str(intent.get("tool_name", "")),
                             "args": dict(intent.get("args") or {})})
        if decision.get("verdict") != "allow":
            self.results.append({"intent_id": intent_id, "status": "error", "result": dict(decision)})
        elif error is not None:
            self.results.append({"intent_id": intent_id, "status": "error", "result": {"error": str(error)}})
        else:
            self.results.append({"intent_id": intent_id, "status": "ok", "result": _json_object(result)})
        trace_id = decision.get("trace_id")
        if trace_id:
            self.receipts.append({
                "ref_id": "trace_%s" % intent_id,
                "source_type": "gait.trace",
                "source_locator": decision.get("trace_path") or "trace_%s" % trace_id,
                "redaction_mode": "reference",
                "immutability": "immutable",
            })
        return intent_id

    def to_input(self) -> Dict[str, Any]:
        """The document ``gait run record --input`` takes for this run."""
        return {
            "run": {"run_id": self.run_id, "created_at": self.created_at, "timeline": []},
            "intents": self.intents,
            "results": self.results,
            "refs": {"receipts": self.receipts},
            "capture_mode": self.capture_mode,
        }

    def finish(self) -> Dict[str, Any]:
        """Writes the runpack with ``gait run record``; raises GaitError when the CLI refuses."""
        handle, path = tempfile.mkstemp(prefix="gait-run-", suffix=".json")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(self.to_input(), out)
            command = [*self.cli, "run", "record", "--input", path, "--json", *self.cli_args]
            if self.out_dir:
                command += ["--out-dir", self.out_dir]
            done = subprocess.run(command, capture_output=True, text=True, cwd=self.cwd, timeout=120)
        finally:
            os.unlink(path)
        try:
            answer = json.loads(done.stdout or "{}")
        except ValueError:
            answer = {}
        if done.returncode != 0 or not answer.get("ok", False):
            raise GaitError("gait run record failed (exit %d): %s" % (done.returncode, done.stderr.strip()[-500:]),
                            code=str(answer.get("error_code", "run_record_failed")), category="io_failure",
                            hint="see the message; `gait run record --help`")
        answer["path"] = os.path.abspath(os.path.join(self.cwd or os.getcwd(), str(answer.get("bundle", ""))))
        return answer


def _json_object(value: Any) -> Dict[str, Any]:
    """A tool result as a JSON object: objects as they serialize, anything else under ``value``."""
    try:
        json_value = json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        json_value = str(value)
    return json_value if isinstance(json_value, dict) else {"value": json_value}


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
