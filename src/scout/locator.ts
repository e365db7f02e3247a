/**
 * The one rule for the file part of every Scout locator and finding path, code and MCP alike: the
 * POSIX path relative to the scanned roots' common directory (with one root, the root itself).
 * No absolute path and no machine-specific prefix, so the same tree gives the same locators, ids
 * and snapshot bytes wherever it sits.
 */
import { join, relative, resolve, sep } from "node:path";

/** `(root, rootRelativePath) → locator path` for a scan of `roots` (absolute directories). */
export type LocatorPath = (root: string, path: string) => string;

export function locatorPaths(roots: readonly string[]): LocatorPath {
  const base = commonDirectory(roots.map((r) => resolve(r)));
  return (root, path) => toSlashes(relative(base, join(resolve(root), path)));
}

/** The deepest directory containing every root (the root itself when there is one). */
export function commonDirectory(roots: readonly string[]): string {
  const [first, ...rest] = roots;
  if (first === undefined) return resolve(".");
  let parts = first.split(sep);
  for (const root of rest) {
    const other = root.split(sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.length <= 1 ? (parts[0] ?? "") + sep : parts.join(sep);
}

export function toSlashes(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
