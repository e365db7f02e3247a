"""Framework adapters for Python agents: LangChain tools and OpenAI Agents function tools, gated
by the sidecar (GaitClient) and recorded into a run (RunRecorder).

Neither framework is a dependency: a wrapper imports LangChain only when called, and the OpenAI
Agents wrapper only needs the tool's ``name`` and ``on_invoke_tool`` (duck typing). A refused call
never runs; the model receives the refusal's text ("gait refused <tool>: block (...)"). A call the
gate could not decide (GaitError: no sidecar, no CLI) raises, and the tool does not run.
"""

import asyncio
import copy
import dataclasses
import json
import os
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple

from .client import GaitClient
from .decision import Decision
from .intent import build_intent
from .recorder import RunRecorder

Describe = Callable[[str, Dict[str, Any]], Mapping[str, Any]]


class GateOptions:
    """What every gated tool shares: the client, the run, the intent's context (identity defaults
    to ``agent``, workspace to the current directory, risk_class to ``medium``), or a ``describe``
    function building the intent of a call yourself (``describe(tool_name, args)``)."""

    def __init__(self, client: GaitClient, recorder: Optional[RunRecorder] = None,
                 context: Optional[Mapping[str, Any]] = None, describe: Optional[Describe] = None,
                 on_decision: Optional[Callable[[str, Decision], None]] = None) -> None:
        self.client = client
        self.recorder = recorder
        self.context = {"identity": "agent", "workspace": os.getcwd(), "risk_class": "medium", **(context or {})}
        self.describe = describe
        self.on_decision = on_decision

    def decide(self, tool_name: str, args: Dict[str, Any]) -> Tuple[Mapping[str, Any], Decision]:
        intent = self.describe(tool_name, args) if self.describe else build_intent(tool_name, args, context=self.context)
        decision = self.client.evaluate(intent)
        if self.on_decision:
            self.on_decision(tool_name, decision)
        if self.recorder and not decision.allowed:
            self.recorder.record_call(intent, decision)
        return intent, decision

    def record(self, intent: Mapping[str, Any], decision: Decision, result: Any = None,
               error: Optional[BaseException] = None) -> None:
        if self.recorder:
            self.recorder.record_call(intent, decision, result=result, error=error)


def refusal_message(tool_name: str, decision: Decision) -> str:
    """What the model reads for a refused call (the TypeScript SDK's ToolRefused message)."""
    reasons = ", ".join(decision.reason_codes) or "no reason codes"
    return "gait refused %s: %s (%s)" % (tool_name, decision.verdict, reasons)


def run_gated(options: GateOptions, tool_name: str, args: Dict[str, Any], run: Callable[[], Any]) -> Tuple[bool, Any]:
    """Decides the call; runs ``run`` only on allow. Returns (True, result) or (False, refusal text)."""
    intent, decision = options.decide(tool_name, args)
    if not decision.allowed:
        return False, refusal_message(tool_name, decision)
    try:
        result = run()
    except Exception as error:
        options.record(intent, decision, error=error)
        raise
    options.record(intent, decision, result=result)
    return True, result


async def run_gated_async(options: GateOptions, tool_name: str, args: Dict[str, Any],
                          run: Callable[[], Awaitable[Any]]) -> Tuple[bool, Any]:
    """run_gated for coroutines; the (blocking) decision runs in a worker thread."""
    intent, decision = await asyncio.to_thread(options.decide, tool_name, args)
    if not decision.allowed:
        return False, refusal_message(tool_name, decision)
    try:
        result = await run()
    except Exception as error:
        options.record(intent, decision, error=error)
        raise
    options.record(intent, decision, result=result)
    return True, result


def gate_langchain_tool(tool: Any, options: GateOptions) -> Any:
    """A LangChain StructuredTool with the same name, description and schema whose every call is
    decided first. A refusal raises ToolException inside the tool with ``handle_tool_error``, so
    a model's tool call is answered with a ToolMessage of ``status="error"`` and the refusal text."""
    from langchain_core.tools import StructuredTool, ToolException

    def run(**kwargs: Any) -> Any:
        allowed, outcome = run_gated(options, tool.name, dict(kwargs), lambda: tool.invoke(kwargs))
        if not allowed:
            raise ToolException(outcome)
        return outcome

    async def arun(**kwargs: Any) -> Any:
        allowed, outcome = await run_gated_async(options, tool.name, dict(kwargs), lambda: tool.ainvoke(kwargs))
        if not allowed:
            raise ToolException(outcome)
        return outcome

    return StructuredTool.from_function(
        func=run, coroutine=arun, name=tool.name, description=tool.description,
        args_schema=tool.args_schema, handle_tool_error=True,
    )


def gate_function_tool(tool: Any, options: GateOptions) -> Any:
    """An OpenAI Agents FunctionTool (anything with ``name`` and an async ``on_invoke_tool(ctx,
    input_json)``) whose every call is decided first; a refusal is the tool's output."""
    original = tool.on_invoke_tool

    async def on_invoke_tool(ctx: Any, input_json: str) -> Any:
        allowed, outcome = await run_gated_async(options, tool.name, _arguments(input_json),
                                                 lambda: original(ctx, input_json))
        return outcome

    if dataclasses.is_dataclass(tool) and not isinstance(tool, type):
        return dataclasses.replace(tool, on_invoke_tool=on_invoke_tool)
    gated = copy.copy(tool)
    gated.on_invoke_tool = on_invoke_tool
    return gated


def _arguments(input_json: str) -> Dict[str, Any]:
    """The model's arguments as the gate sees them: not JSON, or not an object, under ``input``."""
    try:
        value = json.loads(input_json) if input_json else {}
    except ValueError:
        return {"input": input_json}
    return value if isinstance(value, dict) else {"input": value}
