"""``@gate_tool``: run a tool function only when the gate allows the call."""

import functools
from typing import Any, Callable, Mapping, Optional, Sequence, TypeVar, Union

from .client import GaitClient
from .errors import GaitApprovalRequired, GaitBlocked

F = TypeVar("F", bound=Callable[..., Any])
TokenSource = Union[Sequence[Mapping[str, Any]], Callable[..., Optional[Sequence[Mapping[str, Any]]]]]


def gate_tool(
    client: GaitClient,
    describe: Callable[..., Mapping[str, Any]],
    approval_tokens: Optional[TokenSource] = None,
) -> Callable[[F], F]:
    """Guards a tool: ``describe(*args, **kwargs)`` builds the intent, the gate decides, and the
    function runs only on ``allow``. Otherwise it raises GaitApprovalRequired
    (``require_approval``) or GaitBlocked (``block``, ``dry_run``); a GaitError (no decision)
    propagates. ``approval_tokens`` is a list of token objects, or a function of the call's
    arguments returning one.
    """

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            intent = describe(*args, **kwargs)
            tokens = approval_tokens(*args, **kwargs) if callable(approval_tokens) else approval_tokens
            decision = client.evaluate(intent, approval_tokens=tokens)
            if decision.allowed:
                return function(*args, **kwargs)
            if decision.verdict == "require_approval":
                raise GaitApprovalRequired(decision)
            raise GaitBlocked(decision)

        return guarded  # type: ignore[return-value]

    return wrap
