"""Building a ``gait.gate.intent_request``: plain data, no decisions (the gate normalises and validates)."""

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional

from .version import __version__

INTENT_SCHEMA_ID = "gait.gate.intent_request"
INTENT_SCHEMA_VERSION = "1.0.0"


def target(kind: str, value: str, operation: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
    """One target the call touches, e.g. ``target("path", "/srv/app/x", "write")``."""
    entry: Dict[str, Any] = {"kind": kind, "value": value}
    if operation is not None:
        entry["operation"] = operation
    entry.update(fields)
    return entry


def build_intent(
    tool_name: str,
    args: Optional[Mapping[str, Any]] = None,
    targets: Optional[Iterable[Mapping[str, Any]]] = None,
    context: Optional[Mapping[str, Any]] = None,
    arg_provenance: Optional[Iterable[Mapping[str, Any]]] = None,
    **fields: Any
) -> Dict[str, Any]:
    """A ``gait.gate.intent_request`` for one tool call.

    ``context`` needs at least ``identity``, ``workspace`` and ``risk_class``; ``fields`` adds
    other top-level members (``delegation``, ``script``, ``skill_provenance``...). See
    docs/gate.md for every field.
    """
    if not isinstance(tool_name, str) or tool_name.strip() == "":
        raise ValueError("tool_name must be a non-empty string")
    intent: Dict[str, Any] = {
        "schema_id": INTENT_SCHEMA_ID,
        "schema_version": INTENT_SCHEMA_VERSION,
        "created_at": _utc_now(),
        "producer_version": "gait-python/%s" % __version__,
        "tool_name": tool_name,
        "args": dict(args or {}),
        "targets": [dict(t) for t in (targets or [])],
        "context": dict(context or {}),
    }
    provenance: List[Dict[str, Any]] = [dict(p) for p in (arg_provenance or [])]
    if provenance:
        intent["arg_provenance"] = provenance
    intent.update(fields)
    return intent


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
