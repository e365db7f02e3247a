"""The framework adapters (gait.adapters) against a LIVE sidecar, and runpack capture (RunRecorder).

LangChain is tested for real (langchain-core; skipped, visibly, where it is not installed).
openai-agents cannot be installed on this project's machines: its wrapper is tested with a fake
FunctionTool shaped as the SDK's (a dataclass with name and async on_invoke_tool(ctx, input_json)).

Each run: an allowed call runs, a blocked one never does and answers with the refusal; the runpack
verifies and bootstraps a regress fixture that passes, and a run under a changed policy fails it
with exit 5. Run from the repository root after `node scripts/build.mjs`.
"""

import asyncio
import dataclasses
import json
import os
import unittest
from typing import Any, Awaitable, Callable

from live_sidecar import CLI, make_project, run_cli, start_sidecar, stop_sidecar

from gait import GaitClient, GateOptions, RunRecorder, gate_function_tool, gate_langchain_tool

try:
    from langchain_core.messages import ToolMessage
    from langchain_core.tools import StructuredTool
    HAVE_LANGCHAIN = True
except ImportError:
    HAVE_LANGCHAIN = False

# In CI (CI=true, where .ci/run installs langchain-core) its absence is a failure, not a skip.
IN_CI = os.environ.get("CI") == "true"

POLICY = """schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: block-delete
    priority: 10
    effect: block
    match:
      tool_names: [delete_file]
    reason_codes: [delete_blocked]
  - name: allow-read
    priority: 20
    effect: allow
    match:
      tool_names: [read_file]
    reason_codes: [read_allowed]
"""
CHANGED_POLICY = POLICY.split("  - name: allow-read")[0]
CONTEXT = {"identity": "agent.py", "workspace": "/workspace", "risk_class": "medium"}
STATE = {}


def gait_cli(*args):
    return run_cli(STATE["dir"], *args)


def setUpModule():
    STATE["dir"] = make_project("gait-py-adapters-", {"policy.yaml": POLICY, "changed.yaml": CHANGED_POLICY})
    STATE["process"], STATE["startup"] = start_sidecar(STATE["dir"])


def tearDownModule():
    stop_sidecar(STATE.get("process"), STATE.get("dir"))


def sidecar_options(run_id):
    client = GaitClient(base_url=STATE["startup"]["url"], token=STATE["startup"]["token"], fallback_to_cli=False)
    return GateOptions(client, recorder=RunRecorder(run_id, cli=CLI, cwd=STATE["dir"]), context=CONTEXT)


def changed_policy_options(run_id):
    """The same agent, decided by the CLI under the changed policy (reads no longer allowed)."""
    client = GaitClient(cli=CLI, policy="changed.yaml", cwd=STATE["dir"], fallback_to_cli=True,
                        cli_args=["--trace-dir", "traces-changed"])
    client.base_url = None
    client.socket_path = None
    return GateOptions(client, recorder=RunRecorder(run_id, cli=CLI, cwd=STATE["dir"]), context=CONTEXT)


class Files:
    def __init__(self):
        self.files = {"/workspace/notes.txt": "release checklist"}
        self.runs = {"read_file": 0, "delete_file": 0}

    def read(self, path):
        self.runs["read_file"] += 1
        return self.files[path]

    def delete(self, path):
        self.runs["delete_file"] += 1
        del self.files[path]
        return "deleted " + path


class RegressMixin:
    def assert_regress_cycle(self, first, changed):
        """The first run's runpack verifies and bootstraps a passing fixture; the changed one fails it."""
        code, verified = gait_cli("verify", first["path"])
        self.assertEqual(code, 0, verified)
        code, bootstrap = gait_cli("regress", "bootstrap", "--from", first["path"], "--config", first["run_id"] + ".yaml")
        self.assertEqual(code, 0, bootstrap)
        code, regress = gait_cli("regress", "run", "--config", first["run_id"] + ".yaml", "--candidate", changed["path"])
        self.assertEqual(code, 5, regress)
        trajectory = [f for f in regress["failures"] if f["grader"] == "trajectory"]
        self.assertTrue(trajectory and "unexpected_verdict_sequence" in trajectory[0]["reason_codes"], regress)


@unittest.skipUnless(HAVE_LANGCHAIN or IN_CI, "langchain-core is not installed: the LangChain wrapper tests did not run")
class LangChainAdapterTest(RegressMixin, unittest.TestCase):
    def setUp(self):
        if not HAVE_LANGCHAIN:
            self.fail("langchain-core is not installed, and CI=true makes its absence a failure (.ci/run installs it)")
        super().setUp()

    def run_agent(self, options):
        files = Files()
        tools = {t.name: gate_langchain_tool(t, options) for t in (
            StructuredTool.from_function(func=files.read, name="read_file", description="Read a file"),
            StructuredTool.from_function(func=files.delete, name="delete_file", description="Delete a file"),
        )}
        # What a model's tool calls are, handed to the tools as LangChain's agents do.
        messages = [tools[name].invoke({"id": "call_%d" % i, "name": name, "args": {"path": "/workspace/notes.txt"},
                                        "type": "tool_call"})
                    for i, name in enumerate(("read_file", "delete_file"), 1)]
        return files, messages, options.recorder.finish()

    def test_gates_records_and_regresses(self):
        files, messages, runpack = self.run_agent(sidecar_options("run_py_langchain"))
        self.assertEqual(files.runs, {"read_file": 1, "delete_file": 0})
        self.assertIn("/workspace/notes.txt", files.files)
        read, refused = messages
        self.assertIsInstance(read, ToolMessage)
        self.assertEqual(read.content, "release checklist")
        self.assertEqual(refused.status, "error")
        self.assertEqual(refused.tool_call_id, "call_2")
        self.assertIn("gait refused delete_file: block (delete_blocked", refused.content)
        changed_files, _, changed = self.run_agent(changed_policy_options("run_py_langchain_changed"))
        self.assertEqual(changed_files.runs["read_file"], 0)
        self.assert_regress_cycle(runpack, changed)


@dataclasses.dataclass
class FakeFunctionTool:
    """The shape of openai-agents' FunctionTool that the wrapper relies on (the SDK is not installable here)."""
    name: str
    description: str
    params_json_schema: dict
    on_invoke_tool: Callable[[Any, str], Awaitable[Any]]


def fake_function_tool(name, function):
    async def on_invoke_tool(ctx, input_json):
        return function(**json.loads(input_json))
    return FakeFunctionTool(name, name, {"type": "object"}, on_invoke_tool)


class OpenAIAgentsAdapterTest(RegressMixin, unittest.TestCase):
    def run_agent(self, options):
        files = Files()
        tools = {t.name: gate_function_tool(t, options) for t in (
            fake_function_tool("read_file", files.read), fake_function_tool("delete_file", files.delete))}

        async def runner():
            # As the Agents runner calls a function tool: its context and the model's JSON arguments.
            return [await tools[name].on_invoke_tool(None, json.dumps({"path": "/workspace/notes.txt"}))
                    for name in ("read_file", "delete_file")]

        outputs = asyncio.run(runner())
        return files, outputs, options.recorder.finish()

    def test_gates_records_and_regresses(self):
        files, outputs, runpack = self.run_agent(sidecar_options("run_py_agents"))
        self.assertEqual(files.runs, {"read_file": 1, "delete_file": 0})
        self.assertEqual(outputs[0], "release checklist")
        self.assertIn("gait refused delete_file: block (delete_blocked", outputs[1])
        changed_files, _, changed = self.run_agent(changed_policy_options("run_py_agents_changed"))
        self.assertEqual(changed_files.runs["read_file"], 0)
        self.assert_regress_cycle(runpack, changed)

    def test_input_that_is_not_json_is_still_decided(self):
        options = sidecar_options("run_py_agents_bad_json")
        files = Files()
        tool = gate_function_tool(fake_function_tool("delete_file", files.delete), options)
        output = asyncio.run(tool.on_invoke_tool(None, "not json"))
        self.assertIn("gait refused delete_file", output)
        self.assertEqual(files.runs["delete_file"], 0)
        self.assertEqual(options.recorder.intents[0]["args"], {"input": "not json"})


if __name__ == "__main__":
    unittest.main()
