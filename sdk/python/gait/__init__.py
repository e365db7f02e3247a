"""Gait's Python client: build a tool-call intent, ask the gate (sidecar or CLI), obey the verdict.

Standard library only. No decision logic lives here: the gate (``gait gate serve`` or
``gait gate eval``) decides, and every failure to get a decision raises GaitError.
"""

from .adapters import GateOptions, gate_function_tool, gate_langchain_tool, refusal_message
from .client import GaitClient
from .decision import Credential, Decision
from .errors import GaitApprovalRequired, GaitBlocked, GaitError, GaitRefused
from .guard import gate_tool, gate_tool_with_credential
from .intent import build_intent, target
from .recorder import RunRecorder
from .version import __version__

__all__ = [
    "Credential",
    "Decision",
    "GaitApprovalRequired",
    "GaitBlocked",
    "GaitClient",
    "GaitError",
    "GaitRefused",
    "GateOptions",
    "RunRecorder",
    "__version__",
    "build_intent",
    "gate_function_tool",
    "gate_langchain_tool",
    "gate_tool",
    "refusal_message",
    "gate_tool_with_credential",
    "target",
]
