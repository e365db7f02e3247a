/** How a path is shown to users and in results: one rule everywhere. */
import { isAbsolute, relative, sep } from "node:path";

/**
 * What a user would type: `./rel/path` (with `/`) for a path inside `base`, `.` for `base`
 * itself, else the absolute path as it is.
 */
export function showPath(base: string, path: string): string {
  const rel = relative(base, path);
  if (rel === "") return ".";
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path;
  return `./${rel.split(sep).join("/")}`;
}
