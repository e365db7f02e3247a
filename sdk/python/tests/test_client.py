"""The Python client against a LIVE sidecar (`node dist/gait.cjs gate serve`) and the CLI fallback.

Run from the repository root after `node scripts/build.mjs`:
    python3 -m unittest discover -s sdk/python/tests -v
"""

import json
import os
import shutil
import socket
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from live_sidecar import GAIT_JS, NODE, make_project, run_cli, start_sidecar, stop_sidecar

from gait import (
    GaitApprovalRequired,
    GaitBlocked,
    GaitClient,
    GaitError,
    build_intent,
    gate_tool,
    target,
)

POLICY = """schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: allow-read
    priority: 10
    effect: allow
    match:
      tool_names: [tool.read]
    reason_codes: [read_allowed]
  - name: approve-write
    priority: 20
    effect: require_approval
    match:
      tool_names: [tool.write]
    reason_codes: [write_requires_approval]
"""

STATE = {}


def gait_cli(*args, cwd=None):
    """Runs the built CLI with --json and returns (exit code, parsed stdout)."""
    return run_cli(cwd or STATE["dir"], *args)


def intent_for(tool, path="/work/notes.txt"):
    operation = "read" if tool == "tool.read" else "write"
    return build_intent(
        tool,
        {"path": path},
        targets=[target("path", path, operation)],
        context={"identity": "agent.py", "workspace": "/work", "risk_class": "low"},
    )


def setUpModule():
    for name in ("GAIT_SIDECAR_URL", "GAIT_SIDECAR_SOCKET", "GAIT_SIDECAR_TOKEN", "GAIT_CLI"):
        os.environ.pop(name, None)
    STATE["dir"] = make_project("gait-py-test-", {"policy.yaml": POLICY})
    code, keys = gait_cli("keys", "init", "--out-dir", "keys", "--prefix", "approver")
    assert code == 0, keys
    STATE["process"], STATE["startup"] = start_sidecar(
        STATE["dir"], "--approval-public-key", "keys/approver_public.key")


def tearDownModule():
    stop_sidecar(STATE.get("process"), STATE.get("dir"))


def sidecar_client(**overrides):
    options = {"base_url": STATE["startup"]["url"], "token": STATE["startup"]["token"], "fallback_to_cli": False}
    options.update(overrides)
    return GaitClient(**options)


def mint_token(decision):
    """Mints an approval token for a require_approval decision with the approver key (via the CLI)."""
    request = decision.approval_request
    code, answer = gait_cli(
        "approve", "--intent-digest", request["intent_digest"], "--policy-digest", request["policy_digest"],
        "--scope", ",".join(request["scope"]), "--ttl", "1h", "--approver", "alice", "--reason-code", "ticket_7",
        "--key-mode", "prod", "--private-key", "keys/approver_private.key", "--out", "token.json",
    )
    assert code == 0, answer
    with open(os.path.join(STATE["dir"], "token.json")) as handle:
        return json.load(handle)


class BuildIntentTest(unittest.TestCase):
    def test_builds_an_intent_request(self):
        intent = intent_for("tool.write", "/srv/x")
        self.assertEqual(intent["schema_id"], "gait.gate.intent_request")
        self.assertEqual(intent["schema_version"], "1.0.0")
        self.assertTrue(intent["created_at"].endswith("Z"))
        self.assertEqual(intent["tool_name"], "tool.write")
        self.assertEqual(intent["args"], {"path": "/srv/x"})
        self.assertEqual(intent["targets"], [{"kind": "path", "value": "/srv/x", "operation": "write"}])
        self.assertEqual(intent["context"]["identity"], "agent.py")
        extra = build_intent("tool.read", arg_provenance=[{"arg_path": "$.path", "source": "user"}],
                             context={"identity": "a", "workspace": ".", "risk_class": "low"},
                             skill_provenance={"skill_name": "s"})
        self.assertEqual(extra["arg_provenance"], [{"arg_path": "$.path", "source": "user"}])
        self.assertEqual(extra["skill_provenance"], {"skill_name": "s"})

    def test_refuses_an_empty_tool_name(self):
        with self.assertRaises(ValueError):
            build_intent(" ")


class SidecarTest(unittest.TestCase):
    def test_evaluates_each_verdict_with_the_policy_digest(self):
        client = sidecar_client()
        expected = {"tool.read": "allow", "tool.write": "require_approval", "tool.delete": "block"}
        for tool, verdict in expected.items():
            decision = client.evaluate(intent_for(tool))
            self.assertEqual(decision.verdict, verdict, tool)
            self.assertEqual(decision.allowed, verdict == "allow")
            self.assertEqual(decision.source, "sidecar")
            self.assertEqual(decision.policy_digest, STATE["startup"]["policy_digest"])
            self.assertEqual(len(decision.intent_digest), 64)
            self.assertEqual(len(decision.trace_id), 24)
            self.assertIsInstance(decision.reason_codes, list)
        read = client.evaluate(intent_for("tool.read"))
        self.assertEqual(read.matched_rule, "allow-read")
        self.assertEqual(read.reason_codes, ["read_allowed"])
        deadline = time.time() + 10
        while client.health()["traces_pending"] > 0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(read.trace_path), read.trace_path)

    def test_approval_required_then_allowed_with_a_token(self):
        client = sidecar_client()
        decision = client.evaluate(intent_for("tool.write", "/work/approved.txt"))
        self.assertEqual(decision.verdict, "require_approval")
        self.assertEqual(decision.approval_request["scope"], ["tool:tool.write"])
        token = mint_token(decision)
        self.assertTrue(client.approve_check(intent_for("tool.write", "/work/approved.txt"), token)["valid"])
        other = client.approve_check(intent_for("tool.write", "/work/other.txt"), token)
        self.assertFalse(other["valid"])
        self.assertEqual(other["error_code"], "approval_token_intent_mismatch")
        granted = client.evaluate(intent_for("tool.write", "/work/approved.txt"), approval_tokens=[token])
        self.assertEqual(granted.verdict, "allow")
        self.assertIn("approval_granted", granted.reason_codes)

    def test_decorator_runs_the_tool_only_on_allow(self):
        client = sidecar_client()
        calls = []

        def describe(tool, path):
            return intent_for(tool, path)

        @gate_tool(client, describe=describe)
        def tool(name, path):
            calls.append((name, path))
            return "ran %s" % name

        self.assertEqual(tool("tool.read", "/work/a"), "ran tool.read")
        with self.assertRaises(GaitBlocked) as blocked:
            tool("tool.delete", "/work/a")
        self.assertEqual(blocked.exception.verdict, "block")
        with self.assertRaises(GaitApprovalRequired) as approval:
            tool("tool.write", "/work/decorated.txt")
        self.assertEqual(approval.exception.approval_request["min_approvals"], 1)
        self.assertEqual(calls, [("tool.read", "/work/a")])

        token = mint_token(approval.exception.decision)
        approved = gate_tool(client, describe=describe, approval_tokens=lambda name, path: [token])(tool.__wrapped__)
        self.assertEqual(approved("tool.write", "/work/decorated.txt"), "ran tool.write")
        self.assertEqual(calls[-1], ("tool.write", "/work/decorated.txt"))

    def test_refuses_unauthenticated_requests(self):
        for token in (None, "wrong-token-0123456789"):
            with self.assertRaises(GaitError) as refused:
                sidecar_client(token=token).evaluate(intent_for("tool.read"))
            self.assertEqual(refused.exception.status, 401)
            self.assertEqual(refused.exception.code, "unauthorized")
            self.assertEqual(refused.exception.error_code, "invalid_input")
            self.assertEqual(refused.exception.envelope["detail_code"], "unauthorized")
        request = urllib.request.Request(STATE["startup"]["url"] + "/v1/health")
        with self.assertRaises(urllib.error.HTTPError) as raw:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(raw.exception.code, 401)

    def test_invalid_intent_is_an_error_not_a_verdict(self):
        with self.assertRaises(GaitError) as invalid:
            sidecar_client().evaluate({"tool_name": "tool.read"})
        self.assertEqual(invalid.exception.status, 400)
        self.assertEqual(invalid.exception.category, "invalid_input")

    def test_health_and_policy(self):
        client = sidecar_client()
        health = client.health()
        self.assertTrue(health["ok"])
        self.assertEqual(health["status"], "ok")
        self.assertEqual(health["policy_digest"], STATE["startup"]["policy_digest"])
        info = client.policy_info()
        self.assertEqual(info["rule_count"], 2)
        self.assertEqual(info["default_verdict"], "block")


class CliFallbackTest(unittest.TestCase):
    def cli_client(self, **overrides):
        options = {"cli": [NODE, GAIT_JS], "policy": "policy.yaml", "cwd": STATE["dir"],
                   "cli_args": ["--trace-dir", "cli-traces", "--no-config"], "timeout": 60}
        options.update(overrides)
        return GaitClient(**options)

    def test_cli_answers_when_no_sidecar_is_configured(self):
        client = self.cli_client()
        self.assertFalse(client.uses_sidecar)
        expected = {"tool.read": "allow", "tool.write": "require_approval", "tool.delete": "block"}
        for tool, verdict in expected.items():
            decision = client.evaluate(intent_for(tool))
            self.assertEqual(decision.verdict, verdict, tool)
            self.assertEqual(decision.source, "cli")
            self.assertEqual(decision.policy_digest, STATE["startup"]["policy_digest"])
            self.assertTrue(os.path.exists(os.path.join(STATE["dir"], decision.trace_path)))

    def test_cli_answers_when_the_sidecar_is_unreachable(self):
        port = closed_port()
        client = self.cli_client(base_url="http://127.0.0.1:%d" % port, token="x" * 20)
        self.assertEqual(client.evaluate(intent_for("tool.read")).source, "cli")
        strict = self.cli_client(base_url="http://127.0.0.1:%d" % port, fallback_to_cli=False)
        with self.assertRaises(GaitError) as unreachable:
            strict.evaluate(intent_for("tool.read"))
        self.assertEqual(unreachable.exception.code, "sidecar_unreachable")

    def test_cli_errors_carry_the_envelope(self):
        with self.assertRaises(GaitError) as invalid:
            self.cli_client().evaluate({"tool_name": "tool.read"})
        self.assertEqual(invalid.exception.exit_code, 6)
        self.assertEqual(invalid.exception.category, "invalid_input")
        self.assertEqual(invalid.exception.error_code, "invalid_input")
        self.assertEqual(invalid.exception.code, invalid.exception.envelope["detail_code"])
        self.assertNotEqual(invalid.exception.code, "invalid_input")
        with self.assertRaises(GaitError) as missing:
            self.cli_client(cli=["gait-definitely-not-installed"]).evaluate(intent_for("tool.read"))
        self.assertEqual(missing.exception.code, "gait_not_found")
        self.assertEqual(missing.exception.category, "dependency_missing")
        self.assertIn("GAIT_CLI", missing.exception.hint)

    def test_decorator_fails_closed_without_a_decision(self):
        ran = []
        guarded = gate_tool(self.cli_client(policy="missing.yaml"), describe=lambda: intent_for("tool.read"))(
            lambda: ran.append(True))
        with self.assertRaises(GaitError):
            guarded()
        self.assertEqual(ran, [])


class CliNotFoundTest(unittest.TestCase):
    """No GAIT_CLI, no gait on PATH: a plain gait_not_found, never a puzzling answer error."""

    def setUp(self):
        self.bin = tempfile.mkdtemp(prefix="gait-py-path-")
        self.saved_path = os.environ.get("PATH", "")
        os.environ["PATH"] = self.bin  # neither gait nor npx (nor anything else) on PATH

    def tearDown(self):
        os.environ["PATH"] = self.saved_path
        shutil.rmtree(self.bin, ignore_errors=True)

    def fake_npx(self, script):
        path = os.path.join(self.bin, "npx")
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\n" + script)
        os.chmod(path, 0o755)

    def assert_not_found(self, error):
        self.assertEqual(error.code, "gait_not_found")
        self.assertEqual(error.category, "dependency_missing")
        self.assertIn("no gait CLI found", error.message)
        for advice in ("GAIT_CLI", "npm install -g .", "gait gate serve"):
            self.assertIn(advice, error.hint)
        self.assertIn("no gait CLI found", str(error))

    def test_no_gait_and_no_npx(self):
        client = GaitClient(cwd=STATE["dir"])
        self.assertEqual(client.cli, ["npx", "--no-install", "gait"])
        with self.assertRaises(GaitError) as missing:
            client.evaluate(intent_for("tool.read"))
        self.assert_not_found(missing.exception)

    def test_npx_that_finds_no_gait(self):
        # What npx prints in a project without gait: npm's 404 for "gait", no JSON.
        self.fake_npx('echo "npm error code E404" >&2\necho "npm error 404 Not Found - GET gait" >&2\nexit 1\n')
        ran = []
        guarded = gate_tool(GaitClient(cwd=STATE["dir"]), describe=lambda: intent_for("tool.read"))(
            lambda: ran.append(True))
        with self.assertRaises(GaitError) as missing:
            guarded()
        self.assert_not_found(missing.exception)
        self.assertIn("npx --no-install gait", missing.exception.message)
        self.assertIn("E404", missing.exception.message)
        self.assertEqual(missing.exception.exit_code, 1)
        self.assertEqual(ran, [])

    def test_npx_that_finds_a_project_gait_answers(self):
        # npx --no-install gait with gait installed in the project: the CLI answers as usual.
        self.fake_npx('shift 2\nexec "%s" "%s" "$@" --policy policy.yaml --no-config --trace-dir npx-traces\n'
                      % (NODE, GAIT_JS))
        decision = GaitClient(cwd=STATE["dir"], timeout=60).evaluate(intent_for("tool.read"))
        self.assertEqual(decision.verdict, "allow")
        self.assertEqual(decision.source, "cli")


def closed_port():
    """A loopback port nothing listens on."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


if __name__ == "__main__":
    unittest.main()
