"""The gate's answer, as returned by the sidecar or ``gait gate eval --json``."""

from typing import Any, Dict, List, Optional


class Credential:
    """The broker credential the sidecar handed over with an ``allow``: for the tool call only.

    ``secret`` is the credential itself (None for the stub broker, which issues none); ``ref``,
    ``scope``, ``issuer`` and ``expires_at`` say what it is. ``repr()`` shows the ref, never the
    secret, so logging a Credential (or a Decision) does not leak it.
    """

    __slots__ = ("secret", "ref", "scope", "issuer", "expires_at")

    def __init__(self, answer: Dict[str, Any]) -> None:
        secret = answer.get("secret")
        self.secret: Optional[str] = secret if isinstance(secret, str) else None
        self.ref = str(answer.get("ref", ""))
        self.scope: List[str] = [str(s) for s in answer.get("scope") or []]
        self.issuer = str(answer.get("issuer", ""))
        self.expires_at = str(answer.get("expires_at", ""))

    def __repr__(self) -> str:
        return "Credential(ref=%r, scope=%r, issuer=%r, expires_at=%r)" % (
            self.ref, self.scope, self.issuer, self.expires_at)


class Decision(dict):
    """The JSON answer as a dict (every field the gate returned), with typed accessors.

    Only ``verdict == "allow"`` permits running the tool; ``allowed`` says exactly that.
    ``source`` says who answered: ``"sidecar"`` or ``"cli"``. The sidecar's ``credential`` member
    (an allow that relied on a broker credential) is kept out of the dict, in ``credential``, so
    printing or serialising the decision never carries the secret.
    """

    def __init__(self, answer: Dict[str, Any], source: str = "") -> None:
        answer = dict(answer)
        credential = answer.pop("credential", None)
        super().__init__(answer)
        self.source = source
        #: The broker credential for the tool call (sidecar allows only; the CLI never returns one).
        self.credential: Optional[Credential] = (
            Credential(credential) if isinstance(credential, dict) and self.allowed else None)

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
