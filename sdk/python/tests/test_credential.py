"""The broker credential through the Python client: a LIVE sidecar with the env broker.

The sidecar hands the secret to the client on ``allow`` only; the Decision keeps it out of its
dict and its repr; ``gate_tool_with_credential`` passes it to the guarded function. Run from the
repository root after `node scripts/build.mjs`:
    python3 -m unittest discover -s sdk/python/tests -v
"""

import json
import os
import unittest

from live_sidecar import make_project, start_sidecar, stop_sidecar

from gait import GaitBlocked, GaitClient, build_intent, gate_tool_with_credential, target

SECRET = "py-release-token-7c1d0e5a"

POLICY = """schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: block
rules:
  - name: brokered-deploys
    priority: 10
    effect: allow
    match:
      tool_names: [deploy.release]
    require_broker_credential: true
    broker_reference: release-api
    broker_scopes: [deploy:write]
"""

STATE = {}


def setUpModule():
    STATE["dir"] = make_project("gait-py-credential-", {"policy.yaml": POLICY})
    env = dict(os.environ, GAIT_BROKER_TOKEN_RELEASE_API=SECRET, GAIT_BROKER_TOKEN_RELEASE_API_TTL_SECONDS="600")
    STATE["process"], STATE["startup"] = start_sidecar(STATE["dir"], "--credential-broker", "env", env=env)


def tearDownModule():
    stop_sidecar(STATE.get("process"), STATE.get("dir"))


def client():
    return GaitClient(base_url=STATE["startup"]["url"], token=STATE["startup"]["token"], fallback_to_cli=False)


def deploy_intent(tool, service):
    return build_intent(
        tool,
        {"service": service},
        targets=[target("url", "https://api.example.com/releases", "write")],
        context={"identity": "agent.py", "workspace": "/work", "risk_class": "high"},
    )


class CredentialTest(unittest.TestCase):
    def test_decision_carries_the_credential_apart_from_its_dict(self):
        decision = client().evaluate(deploy_intent("deploy.release", "billing"))
        self.assertEqual(decision.verdict, "allow")
        self.assertIn("broker_credential_present", decision.reason_codes)
        self.assertEqual(decision.credential.secret, SECRET)
        self.assertEqual(decision.credential.ref, decision["credential_ref"])
        self.assertEqual(decision.credential.scope, ["deploy:write"])
        self.assertNotIn("credential", decision)
        self.assertNotIn(SECRET, json.dumps(decision))
        self.assertNotIn(SECRET, repr(decision.credential))

    def test_guarded_function_gets_the_credential_on_allow_only(self):
        calls = []

        @gate_tool_with_credential(client(), describe=lambda tool, service: deploy_intent(tool, service))
        def deploy(credential, tool, service):
            calls.append((credential.secret, service))
            return "deployed %s" % service

        self.assertEqual(deploy("deploy.release", "billing"), "deployed billing")
        with self.assertRaises(GaitBlocked) as blocked:
            deploy("deploy.rollback", "billing")
        self.assertIsNone(blocked.exception.decision.credential)
        self.assertEqual(calls, [(SECRET, "billing")])


if __name__ == "__main__":
    unittest.main()
