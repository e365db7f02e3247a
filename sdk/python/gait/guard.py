"""``@gate_tool``: run a tool function only when the gate allows the call (with its broker credential:
``@gate_tool_with_credential``)."""

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
    return _gate(client, describe, approval_tokens, with_credential=False)


def _gate(
    client: GaitClient,
    describe: Callable[..., Mapping[str, Any]],
    approval_tokens: Optional[TokenSource],
    with_credential: bool,
) -> Callable[[F], F]:
    def wrap(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            intent = describe(*args, **kwargs)
            tokens = approval_tokens(*args, **kwargs) if callable(approval_tokens) else approval_tokens
            decision = client.evaluate(intent, approval_tokens=tokens)
            if decision.allowed:
                if with_credential:
                    return function(decision.credential, *args, **kwargs)
                return function(*args, **kwargs)
            if decision.verdict == "require_approval":
                raise GaitApprovalRequired(decision)
            raise GaitBlocked(decision)

        return guarded  # type: ignore[return-value]

    return wrap


def gate_tool_with_credential(
    client: GaitClient,
    describe: Callable[..., Mapping[str, Any]],
    approval_tokens: Optional[TokenSource] = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``gate_tool`` for a tool that needs a broker credential (a sidecar started with
    ``--credential-broker``, a rule with ``require_broker_credential``): on ``allow`` the function
    is called as ``function(credential, *args, **kwargs)`` with the Credential the broker issued
    for this call (None when the allow needed none, or the CLI answered: it never returns a
    secret). ``describe`` and ``approval_tokens`` get the call's arguments without it. Use the
    secret for this call and drop it.
    """
    return _gate(client, describe, approval_tokens, with_credential=True)
