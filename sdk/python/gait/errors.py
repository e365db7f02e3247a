"""Errors and refusals raised by the Gait client.

A GaitError means no verdict was obtained (sidecar refused the request, CLI failed, timeout):
the tool must not run. A GaitRefused means a verdict was obtained and it was not ``allow``.
"""

from typing import Any, Dict, Optional

from .decision import Decision


class GaitError(Exception):
    """No decision: the coded error envelope of the sidecar or the CLI (never run the tool).

    ``code`` is the failure's own code: the envelope's ``detail_code`` when it has one (for
    invalid input the envelope's ``error_code`` is just ``invalid_input``), else its
    ``error_code``. ``error_code`` is the envelope's, as scripts written for the reference read it.
    """

    def __init__(
        self,
        message: str,
        code: str = "gait_error",
        category: str = "internal_failure",
        hint: str = "",
        status: Optional[int] = None,
        exit_code: Optional[int] = None,
        envelope: Optional[Dict[str, Any]] = None,
        error_code: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        #: The envelope's ``error_code`` (``invalid_input`` for any invalid input); ``code`` otherwise.
        self.error_code = error_code or code
        self.category = category
        self.hint = hint
        #: HTTP status from the sidecar, when the error came from it.
        self.status = status
        #: Process exit code, when the error came from the CLI.
        self.exit_code = exit_code
        #: The full JSON error envelope, when there was one.
        self.envelope = envelope or {}

    @classmethod
    def from_envelope(
        cls, envelope: Dict[str, Any], status: Optional[int] = None, exit_code: Optional[int] = None
    ) -> "GaitError":
        error_code = str(envelope.get("error_code") or "gait_error")
        return cls(
            str(envelope.get("error") or "gait returned an error"),
            code=str(envelope.get("detail_code") or error_code),
            error_code=error_code,
            category=str(envelope.get("error_category") or "internal_failure"),
            hint=str(envelope.get("hint") or ""),
            status=status,
            exit_code=exit_code,
            envelope=envelope,
        )

    def __str__(self) -> str:
        hint = " (hint: %s)" % self.hint if self.hint else ""
        return "%s: %s%s" % (self.code, self.message, hint)


class GaitRefused(Exception):
    """The gate decided, and the verdict was not ``allow``: the tool did not run."""

    def __init__(self, decision: Decision) -> None:
        reasons = ", ".join(decision.reason_codes) or "no reason codes"
        super().__init__("%s refused: %s (%s)" % (decision.tool_name or "tool call", decision.verdict, reasons))
        self.decision = decision

    @property
    def verdict(self) -> str:
        return self.decision.verdict

    @property
    def reason_codes(self) -> list:
        return self.decision.reason_codes


class GaitBlocked(GaitRefused):
    """Verdict ``block`` (or ``dry_run``, which also means: do not execute)."""


class GaitApprovalRequired(GaitRefused):
    """Verdict ``require_approval``: retry with approval tokens minted for ``approval_request``."""

    @property
    def approval_request(self) -> Optional[Dict[str, Any]]:
        return self.decision.approval_request
