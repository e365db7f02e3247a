/**
 * Retention (docs/retention.md): the reference's `gait.guard.retention_report` (its public schema,
 * conformance/schemas/v1/guard/retention_report.schema.json, is closed, so the signature travels
 * beside it) and the detached signature file we publish for it.
 */
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "../contract/artifact-schemas.ts";

export const RETENTION_REPORT_SCHEMA_ID = "gait.guard.retention_report";
export const RETENTION_SIGNATURE_SCHEMA_ID = "gait.guard.retention_report_signature";

export type RetentionKind = "trace" | "pack";

/** One file the run looked at: deleted (or, in a dry run, to be deleted) or kept. */
export interface RetentionEvent {
  /** Relative to the root, with `/` separators. */
  path: string;
  kind: RetentionKind;
  modified_at: string;
  age_seconds: number;
  action: "kept" | "deleted";
}

export interface RetentionReport {
  schema_id: typeof RETENTION_REPORT_SCHEMA_ID;
  schema_version: "1.0.0";
  created_at: string;
  producer_version: string;
  root_path: string;
  dry_run: boolean;
  trace_ttl_seconds: number;
  pack_ttl_seconds: number;
  scanned_files: number;
  deleted_files: RetentionEvent[];
  kept_files: RetentionEvent[];
}

const Hex64 = Type.String({ pattern: "^[a-f0-9]{64}$" });

export const RetentionSignatureSchema = Type.Object(
  {
    schema_id: Type.Literal(RETENTION_SIGNATURE_SCHEMA_ID, { type: "string" }),
    schema_version: Type.Literal("1.0.0", { type: "string" }),
    report_schema_id: Type.Literal(RETENTION_REPORT_SCHEMA_ID, { type: "string" }),
    report_sha256: { ...Hex64, description: "SHA-256 of the report file's bytes as written" },
    signature: Type.Object(
      {
        alg: StringEnum(["ed25519"] as const),
        key_id: Hex64,
        sig: Type.String({ description: "standard base64 Ed25519 signature of the raw signed_digest bytes" }),
        signed_digest: { ...Hex64, description: "SHA-256 of the report's RFC 8785 (JCS) form" },
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    title: "Guard Retention Report Signature",
    description:
      "Detached signature of a gait.guard.retention_report, written beside it as <report>.sig.json by gait guard retain.",
  },
);
export type RetentionSignature = Static<typeof RetentionSignatureSchema>;

export const retentionSchemas = {
  "guard/retention_report_signature": RetentionSignatureSchema,
} as const;
