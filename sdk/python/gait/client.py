"""GaitClient: ask the gait sidecar for a verdict, or the gait CLI when no sidecar is reachable.

The client makes no decisions: it sends the intent and returns the gate's answer. Every way of
not getting an answer raises GaitError, so a caller that runs the tool only on ``allow`` fails
closed.
"""

import http.client
import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from .decision import Decision
from .errors import GaitError

DEFAULT_TOKEN_ENV = "GAIT_SIDECAR_TOKEN"
#: ``gait gate eval`` exit codes that carry a verdict in their JSON answer.
VERDICT_EXIT_CODES = {0, 3, 4}
#: The verdict each of those exit codes stands for (0 is allow or dry_run: read the JSON).
VERDICT_BY_EXIT = {3: "block", 4: "require_approval"}
#: The last resort when neither ``GAIT_CLI`` nor ``gait`` on PATH is there: a project-local install.
NPX_FALLBACK = ("npx", "--no-install", "gait")
#: What to do when no gait CLI can be found (gait is not on the npm registry yet).
GAIT_NOT_FOUND_HINT = (
    "set GAIT_CLI (e.g. GAIT_CLI=\"node /path/to/gait/dist/gait.cjs\"), put gait on PATH "
    "(npm install -g . in the gait clone), or start the sidecar (gait gate serve) and set GAIT_SIDECAR_URL"
)


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (``gait gate serve --socket PATH``)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _Unreachable(Exception):
    """The sidecar could not be connected to (nothing was sent): the CLI may answer instead."""


class GaitClient:
    """Evaluates intents with the sidecar (``base_url`` or ``socket_path``) or the CLI.

    Arguments default from the environment: ``GAIT_SIDECAR_URL``, ``GAIT_SIDECAR_SOCKET``, the
    token from the variable named by ``token_env`` (default ``GAIT_SIDECAR_TOKEN``), and the CLI
    from ``GAIT_CLI`` (a command line), else ``gait`` on PATH, else ``npx --no-install gait`` (gait
    installed in the current project). When none of them runs, evaluation raises GaitError
    ``gait_not_found``.

    Without a sidecar configured the CLI answers every call (``gait gate eval --json``, one process
    per call). With one configured but not reachable, the CLI answers when ``fallback_to_cli``.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        socket_path: Optional[str] = None,
        cli: Optional[Union[str, Sequence[str]]] = None,
        policy: Optional[str] = None,
        timeout: float = 10.0,
        token_env: str = DEFAULT_TOKEN_ENV,
        fallback_to_cli: bool = True,
        cli_args: Sequence[str] = (),
        cwd: Optional[str] = None,
    ) -> None:
        self.base_url = base_url if base_url is not None else os.environ.get("GAIT_SIDECAR_URL") or None
        self.socket_path = socket_path if socket_path is not None else os.environ.get("GAIT_SIDECAR_SOCKET") or None
        if self.base_url and self.socket_path:
            raise ValueError("give base_url or socket_path, not both")
        self.token = token if token is not None else os.environ.get(token_env) or None
        self.cli = _cli_command(cli)
        #: ``--policy`` for the CLI (else the CLI reads gate.policy from .gait/config.yaml).
        self.policy = policy
        self.timeout = timeout
        self.fallback_to_cli = fallback_to_cli
        #: Extra ``gait gate eval`` flags, e.g. ``["--trace-dir", "gait-out/traces"]`` or key flags.
        self.cli_args = list(cli_args)
        self.cwd = cwd

    @property
    def uses_sidecar(self) -> bool:
        return bool(self.base_url or self.socket_path)

    # -- decisions --------------------------------------------------------------------------

    def evaluate(
        self,
        intent: Mapping[str, Any],
        approval_tokens: Optional[Sequence[Mapping[str, Any]]] = None,
        correlation_id: Optional[str] = None,
    ) -> Decision:
        """The gate's decision for ``intent`` (with approval tokens, for ``require_approval``)."""
        tokens = [dict(t) for t in approval_tokens or []]
        if self.uses_sidecar:
            body: Dict[str, Any] = dict(intent)
            if tokens or correlation_id:
                body = {"intent": dict(intent)}
                if tokens:
                    body["approval_tokens"] = tokens
                if correlation_id:
                    body["correlation_id"] = correlation_id
            try:
                answer = self._answer("POST", "/v1/evaluate", body)
            except _Unreachable as unreachable:
                if not self.fallback_to_cli:
                    raise GaitError(
                        "gait sidecar unreachable: %s" % unreachable,
                        code="sidecar_unreachable",
                        category="network_transient",
                        hint="start it with `gait gate serve`, or allow the CLI fallback",
                    ) from unreachable
            else:
                return _decision(answer, "sidecar")
        return self._evaluate_with_cli(intent, tokens)

    def approve_check(self, intent: Mapping[str, Any], token: Mapping[str, Any]) -> Dict[str, Any]:
        """Checks one approval token against an intent (sidecar only): ``{"valid": ..., "error_code": ...}``."""
        return self._sidecar("POST", "/v1/approve-check", {"intent": dict(intent), "token": dict(token)})

    def health(self) -> Dict[str, Any]:
        """The sidecar's health; ``ok`` is False (``status: "degraded"``) while its policy is unavailable."""
        return self._sidecar("GET", "/v1/health", accept=(200, 503))

    def policy_info(self) -> Dict[str, Any]:
        """Digest, default verdict and rule count of the policy the sidecar decides with."""
        return self._sidecar("GET", "/v1/policy")

    # -- sidecar ----------------------------------------------------------------------------

    def _sidecar(
        self, method: str, path: str, body: Optional[Dict[str, Any]] = None, accept: Sequence[int] = (200,)
    ) -> Dict[str, Any]:
        if not self.uses_sidecar:
            raise GaitError("no sidecar configured", code="sidecar_not_configured", category="invalid_input",
                            hint="pass base_url or socket_path (or set GAIT_SIDECAR_URL)")
        try:
            return self._answer(method, path, body, accept)
        except _Unreachable as unreachable:
            raise GaitError("gait sidecar unreachable: %s" % unreachable, code="sidecar_unreachable",
                            category="network_transient", hint="start it with `gait gate serve`") from unreachable

    def _answer(
        self, method: str, path: str, body: Optional[Dict[str, Any]], accept: Sequence[int] = (200,)
    ) -> Dict[str, Any]:
        """The JSON answer of an accepted status; any other status raises its error envelope."""
        status, answer = self._request(method, path, body)
        if status not in accept:
            raise GaitError.from_envelope(answer, status=status)
        return answer

    def _connection(self) -> http.client.HTTPConnection:
        if self.socket_path:
            return _UnixConnection(self.socket_path, self.timeout)
        parts = urlsplit(self.base_url or "")
        if parts.scheme == "https":
            return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        if parts.scheme != "http" or not parts.hostname:
            raise GaitError("base_url must be http://host:port, not %r" % self.base_url,
                            code="sidecar_url_invalid", category="invalid_input")
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.timeout)

    def _request(self, method: str, path: str, body: Optional[Dict[str, Any]]) -> Tuple[int, Dict[str, Any]]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer %s" % self.token
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        connection = self._connection()
        try:
            try:
                connection.connect()
            except (ConnectionRefusedError, FileNotFoundError, socket.gaierror) as error:
                raise _Unreachable(str(error)) from error
            except OSError as error:
                raise GaitError("cannot connect to the gait sidecar: %s" % error, code="sidecar_unreachable",
                                category="network_transient") from error
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                text = response.read().decode("utf-8")
            except socket.timeout as error:
                raise GaitError("the gait sidecar did not answer within %ss" % self.timeout, code="sidecar_timeout",
                                category="network_transient") from error
            except OSError as error:
                raise GaitError("the gait sidecar request failed: %s" % error, code="sidecar_request_failed",
                                category="network_transient") from error
        finally:
            connection.close()
        return response.status, _parse_json(text, "the gait sidecar")

    # -- CLI --------------------------------------------------------------------------------

    def _evaluate_with_cli(self, intent: Mapping[str, Any], tokens: List[Dict[str, Any]]) -> Decision:
        npx_fallback = tuple(self.cli) == NPX_FALLBACK
        if npx_fallback and not shutil.which("npx"):
            raise _gait_not_found("no gait CLI found (no GAIT_CLI, no gait and no npx on PATH)")
        with tempfile.TemporaryDirectory(prefix="gait-py-") as scratch:
            intent_path = os.path.join(scratch, "intent.json")
            _write_json(intent_path, dict(intent))
            command = [*self.cli, "gate", "eval", "--intent", intent_path, "--json"]
            if self.policy:
                command += ["--policy", self.policy]
            for index, token in enumerate(tokens):
                token_path = os.path.join(scratch, "approval_%d.json" % index)
                _write_json(token_path, token)
                command += ["--approval-token", token_path]
            command += self.cli_args
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout, cwd=self.cwd)
            except FileNotFoundError as error:
                raise _gait_not_found("no gait CLI found: %s does not exist" % command[0]) from error
            except subprocess.TimeoutExpired as error:
                # Through npx, a missing gait can look like a hang: npx may be asking the registry.
                raise GaitError("gait gate eval did not finish within %ss%s" % (
                    self.timeout, " (run through `npx --no-install gait`)" if npx_fallback else ""),
                    code="gait_cli_timeout", category="internal_failure",
                    hint=GAIT_NOT_FOUND_HINT if npx_fallback else "") from error
        if npx_fallback and not _is_json(done.stdout):
            # npx found no gait in this project (and may have asked the registry, where gait is not).
            detail = (done.stderr or done.stdout).strip().splitlines()[:1] or ["no output"]
            raise _gait_not_found("no gait CLI found: `npx --no-install gait` did not run gait (%s)" % detail[0],
                                  exit_code=done.returncode)
        answer = _parse_json(done.stdout, "gait gate eval", exit_code=done.returncode, stderr=done.stderr)
        if done.returncode not in VERDICT_EXIT_CODES or "verdict" not in answer:
            raise GaitError.from_envelope(answer, exit_code=done.returncode)
        expected = VERDICT_BY_EXIT.get(done.returncode)
        if expected is not None and answer["verdict"] != expected:
            raise GaitError("gait gate eval exited %d with verdict %r" % (done.returncode, answer["verdict"]),
                            code="gait_cli_inconsistent", category="internal_failure", exit_code=done.returncode)
        return _decision(answer, "cli")


def _gait_not_found(message: str, exit_code: Optional[int] = None) -> GaitError:
    return GaitError(message, code="gait_not_found", category="dependency_missing", hint=GAIT_NOT_FOUND_HINT,
                     exit_code=exit_code)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _decision(answer: Dict[str, Any], source: str) -> Decision:
    if not isinstance(answer.get("verdict"), str):
        raise GaitError("the gate answered without a verdict", code="gait_answer_invalid", envelope=answer)
    return Decision(answer, source)


def _parse_json(text: str, who: str, exit_code: Optional[int] = None, stderr: str = "") -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        detail = (stderr or text).strip().splitlines()[-1:] or ["no output"]
        raise GaitError("%s did not answer with JSON: %s" % (who, detail[0]), code="gait_answer_invalid",
                        exit_code=exit_code) from None
    if not isinstance(value, dict):
        raise GaitError("%s answered with JSON that is not an object" % who, code="gait_answer_invalid",
                        exit_code=exit_code)
    return value


def _write_json(path: str, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle)


def _cli_command(cli: Optional[Union[str, Sequence[str]]]) -> List[str]:
    """The command that runs gait: a list, a command line (split like a shell), or a ``.js``/``.cjs`` path (run with node)."""
    if cli is None:
        configured = os.environ.get("GAIT_CLI")
        if configured:
            return shlex.split(configured)
        return ["gait"] if shutil.which("gait") else list(NPX_FALLBACK)
    if isinstance(cli, str):
        return ["node", cli] if cli.endswith((".js", ".cjs", ".mjs")) else shlex.split(cli)
    return list(cli)
