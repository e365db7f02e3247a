/**
 * How the CLI words a verifier's findings (runpack, pack, evidence pack): the parts of the one-line
 * error and the detail lines of the human output, the same for every verify command.
 */

/** The findings every Gait verifier reports. */
export interface VerifyFindings {
  missing_files: readonly string[];
  hash_mismatches: ReadonlyArray<{ path: string; expected: string; actual: string }>;
  undeclared_files: readonly string[];
  signature_status: string;
  signature_errors: readonly string[];
}

/** `missing files: …`, `hash mismatches: …`, `undeclared files: …`, `signature failed: …` (what applies). */
export function failureParts(findings: VerifyFindings): string[] {
  const parts: string[] = [];
  if (findings.missing_files.length > 0) parts.push(`missing files: ${findings.missing_files.join(", ")}`);
  if (findings.hash_mismatches.length > 0)
    parts.push(`hash mismatches: ${findings.hash_mismatches.map((m) => m.path).join(", ")}`);
  if (findings.undeclared_files.length > 0)
    parts.push(`undeclared files: ${findings.undeclared_files.join(", ")}`);
  if (findings.signature_errors.length > 0 && findings.signature_status !== "skipped")
    parts.push(`signature ${findings.signature_status}: ${findings.signature_errors.join("; ")}`);
  return parts;
}

/** One line per finding, for human output. */
export function findingLines(findings: VerifyFindings): string[] {
  return [
    ...findings.missing_files.map((file) => `missing: ${file}`),
    ...findings.hash_mismatches.map(
      (m) => `hash mismatch: ${m.path} expected=${m.expected} actual=${m.actual}`,
    ),
    ...findings.undeclared_files.map((file) => `undeclared: ${file}`),
    ...findings.signature_errors.map((e) => `signature: ${e}`),
  ];
}
