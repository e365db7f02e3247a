/**
 * Input limits of the enforcement path, checked before any work: a hostile input gets a coded
 * error (exit 6; a fail-closed block in the sidecar and SDK), never an exhausted heap, a stack
 * overflow or an event loop stalled for seconds. Each is far above what a real intent or policy
 * needs. JSON nesting is capped for every document by MAX_JSON_DEPTH (contract/canonical.ts), and
 * YAML size and alias expansion by the strict YAML reader (contract/yaml-strict.ts).
 */

/** Largest intent request file or body (the sidecar's default request limit too). */
export const MAX_INTENT_BYTES = 1024 * 1024;

/** Largest approval token file. */
export const MAX_TOKEN_BYTES = 64 * 1024;

/**
 * Most rules in one policy. A policy's size in bytes and in YAML nodes after alias expansion is
 * capped like every strict YAML document (DEFAULT_YAML_MAX_BYTES, DEFAULT_YAML_MAX_NODES).
 */
export const MAX_POLICY_RULES = 10_000;
