"""The gate's answer, as returned by the sidecar or ``gait gate eval --json``."""

from typing import Any, Dict, List, Optional


class Decision(dict):
    """The JSON answer as a dict (every field the gate returned), with typed accessors.

    Only ``verdict == "allow"`` permits running the tool; ``allowed`` says exactly that.
    ``source`` says who answered: ``"sidecar"`` or ``"cli"``.
    """

    def __init__(self, answer: Dict[str, Any], source: str = "") -> None:
        super().__init__(answer)
        self.source = source

    @property
    def verdict(self) -> str:
        return str(self.get("verdict", ""))

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"

    @property
    def reason_codes(self) -> List[str]:
        return list(self.get("reason_codes") or [])

    @property
    def violations(self) -> List[str]:
        return list(self.get("violations") or [])

    @property
    def intent_digest(self) -> str:
        return str(self.get("intent_digest", ""))

    @property
    def policy_digest(self) -> str:
        return str(self.get("policy_digest", ""))

    @property
    def trace_id(self) -> str:
        return str(self.get("trace_id", ""))

    @property
    def trace_path(self) -> str:
        return str(self.get("trace_path", ""))

    @property
    def matched_rule(self) -> str:
        return str(self.get("matched_rule", ""))

    @property
    def tool_name(self) -> str:
        return str(self.get("tool_name", ""))

    @property
    def approval_request(self) -> Optional[Dict[str, Any]]:
        """What an approver must sign (sidecar answers to ``require_approval``)."""
        request = self.get("approval_request")
        return dict(request) if isinstance(request, dict) else None
