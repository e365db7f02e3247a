/**
 * The credential request for a decision, and its digest. Pure: built from the normalized intent
 * and the deciding rules' broker requirements, so the same decision asks for the same credential.
 */

import { sortedUnique } from "../contract/bytes.ts";
import { digestJcs } from "../contract/canonical.ts";
import type { Decision, NormalizedIntent } from "../gate/index.ts";
import type { BrokerRequest, RequestDefaults } from "./types.ts";

/**
 * The request for the credential `decision` requires; the intent's context supplies the bindings.
 * The rules' reference and scopes win over the broker's defaults.
 */
export function brokerRequestFor(
  intent: NormalizedIntent,
  decision: Decision,
  defaults: RequestDefaults = {},
): BrokerRequest {
  const ctx = intent.context;
  const request: BrokerRequest = { tool_name: intent.tool_name, identity: ctx.identity };
  const optional = {
    workspace: ctx.workspace,
    session_id: ctx.session_id,
    request_id: ctx.request_id,
    run_id: ctx.run_id,
    job_id: ctx.job_id,
    reference: decision.brokerReference || defaults.reference,
  } as const;
  for (const [key, value] of Object.entries(optional)) {
    if (value) Object.assign(request, { [key]: value });
  }
  const scopes =
    decision.brokerScopes.length > 0
      ? decision.brokerScopes
      : sortedUnique((defaults.scopes ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean));
  if (scopes.length > 0) request.scope = scopes;
  // The normalized targets are deduplicated and sorted, so equal target sets bind equally.
  if (intent.targets.length > 0) request.target_binding = digestJcs(intent.targets);
  return request;
}

/** JCS digest of the request: the response must echo it, binding the credential to this request. */
export function brokerRequestDigest(request: BrokerRequest): string {
  return digestJcs(request);
}
