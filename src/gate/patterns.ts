/** Path and domain patterns used by endpoint constraints, compiled once into predicates. */

export type Matcher = (value: string) => boolean;

function globToRegExpSource(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) out += "\\[";
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

const isGlob = (p: string) => /[*?[]/.test(p);

/** Equality, `prefix/**` (the prefix itself or anything under it), or a shell glob. */
export function compilePathPattern(pattern: string): Matcher {
  const p = pattern.replace(/\\/g, "/");
  if (p.endsWith("/**")) {
    const prefix = p.slice(0, -3);
    return (v) => v === prefix || v.startsWith(`${prefix}/`);
  }
  if (isGlob(p)) {
    const re = new RegExp(`^${globToRegExpSource(p)}$`);
    return (v) => re.test(v);
  }
  return (v) => v === p;
}

/** Equality, `*.example.com` (any subdomain), or a glob. Domains compare lower-cased. */
export function compileDomainPattern(pattern: string): Matcher {
  const p = pattern.toLowerCase();
  if (p.startsWith("*.") && !isGlob(p.slice(2))) {
    const suffix = p.slice(1);
    return (v) => v.endsWith(suffix) && v.length > suffix.length;
  }
  if (isGlob(p)) {
    const re = new RegExp(`^${globToRegExpSource(p).replace(/\[\^\/\]/g, "[^.]")}$`);
    return (v) => re.test(v);
  }
  return (v) => v === p;
}

export function anyMatcher(patterns: readonly string[], compile: (p: string) => Matcher): Matcher {
  const matchers = patterns.map(compile);
  return (v) => matchers.some((m) => m(v));
}
