"""Gait's Python client: build a tool-call intent, ask the gate (sidecar or CLI), obey the verdict.

Standard library only. No decision logic lives here: the gate (``gait gate serve`` or
``gait gate eval``) decides, and every failure to get a decision raises GaitError.
"""

from .client import GaitClient
from .decision import Credential, Decision
from .errors import GaitApprovalRequired, GaitBlocked, GaitError, GaitRefused
from .guard import gate_tool, gate_tool_with_credential
from .intent import build_intent, target
from .version import __version__

__all__ = [
    "Credential",
    "Decision",
    "GaitApprovalRequired",
    "GaitBlocked",
    "GaitClient",
    "GaitError",
    "GaitRefused",
    "__version__",
    "build_intent",
    "gate_tool",
    "gate_tool_with_credential",
    "target",
]
