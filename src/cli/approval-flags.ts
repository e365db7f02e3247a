/**
 * The approval flags `gate eval` and `gate serve` share: who may sign approvals (an approver key
 * list, or one approval key) and whether tokens are single use, resolved once for both.
 */
import { resolve } from "node:path";
import type { KeyIo } from "../contract/keys.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { type ApproverKey, DEFAULT_APPROVAL_LEDGER, loadApproverKeys } from "../gate/index.ts";
import { type OptionSpec, type Options, stringOption } from "./command.ts";
import { invalidInput } from "./error-codes.ts";
import { keyOptions, readVerifyKey } from "./keyflags.ts";

export const approvalOptions: OptionSpec[] = [
  ...keyOptions("approval"),
  {
    name: "approver-keys",
    value: "path",
    description:
      "approver key list (gait.gate.approver_keys): a token counts only when signed by the key of the approver it names",
  },
  {
    name: "approval-single-use",
    description: "spend approval tokens once: a token that granted a decision is refused after",
  },
  {
    name: "approval-ledger",
    value: "path",
    description: `spent single-use approvals (default ${DEFAULT_APPROVAL_LEDGER})`,
  },
];

export interface ApprovalFlags {
  /** The approver key list, when given. */
  approvers?: ApproverKey[];
  /** The one approval key, when given (excludes approvers). */
  approvalKey?: VerifyKey;
  /** Absolute ledger path when approvals are single use. */
  ledgerPath?: string;
}

export async function readApprovalFlags(options: Options, io: KeyIo): Promise<ApprovalFlags> {
  const flags: ApprovalFlags = {};
  const listPath = stringOption(options, "approver-keys");
  const approvalKey = await readVerifyKey(options, io, "approval");
  if (listPath && approvalKey) {
    throw invalidInput("usage", "give either --approver-keys or an approval key, not both", {
      hint: "with an approver key list, every approver's public key is in the list",
    });
  }
  if (listPath) flags.approvers = await loadApproverKeys(resolve(io.cwd, listPath), listPath);
  if (approvalKey) flags.approvalKey = approvalKey;
  if (options["approval-single-use"] === true) {
    flags.ledgerPath = resolve(io.cwd, stringOption(options, "approval-ledger") ?? DEFAULT_APPROVAL_LEDGER);
  }
  return flags;
}
