/**
 * Strict YAML reading guided by a JSON schema: every mapping key must be a declared property, every
 * value must have the declared type, and every error names the YAML path and the line and column
 * where the offending key or value starts. Value rules (enums, ranges, defaults) are left to the
 * caller, which gets a position lookup to report its own errors the same way.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
  visit,
} from "yaml";
import { errorsFor, type GaitError } from "./errors.ts";

/** The documents read strictly, each naming its error codes `<prefix>_...`. */
export type StrictYamlPrefix = "policy" | "approver_keys" | "config";

/** The codes the reader raises for a document of `Prefix` (listed by gate and config). */
export type StrictYamlErrorCode<Prefix extends StrictYamlPrefix = StrictYamlPrefix> =
  | `${Prefix}_yaml_invalid`
  | `${Prefix}_empty`
  | `${Prefix}_unknown_field`
  | `${Prefix}_invalid`
  | `${Prefix}_too_large`;

const { invalidInput } = errorsFor<StrictYamlErrorCode>();

export interface SourcePosition {
  line: number;
  column: number;
}

/** The subset of JSON Schema the reader understands (TypeBox schemas are plain JSON schemas). */
export interface ShapeSchema {
  type?: string;
  properties?: Record<string, ShapeSchema>;
  items?: ShapeSchema;
  anyOf?: ShapeSchema[];
  minimum?: number;
}

export interface StrictYamlOptions {
  /** Where the text came from, used as the message prefix (a path or "<stdin>"). */
  source: string;
  /**
   * Error code prefix: `<prefix>_yaml_invalid`, `<prefix>_empty`, `<prefix>_unknown_field`,
   * `<prefix>_invalid`, `<prefix>_too_large`.
   */
  codePrefix: StrictYamlPrefix;
  /** What the document is, for messages ("policy"). */
  what: string;
  /** Largest accepted text, in UTF-8 bytes (default DEFAULT_YAML_MAX_BYTES). */
  maxBytes?: number;
  /** Most nodes the document may expand to once aliases are followed (default DEFAULT_YAML_MAX_NODES). */
  maxNodes?: number;
}

/** Limits for every strict YAML document (policies, configs, key lists): far above real use. */
export const DEFAULT_YAML_MAX_BYTES = 1024 * 1024;
const DEFAULT_YAML_MAX_NODES = 100_000;

/** A parsed YAML document with its source positions. */
export class YamlSource {
  readonly doc: Document.Parsed;
  readonly options: StrictYamlOptions;
  private readonly lines = new LineCounter();
  /** Each alias's target, found once in document order (yaml's own lookup rescans the document). */
  private readonly aliasTargets = new Map<Alias, Node>();

  constructor(text: string, options: StrictYamlOptions) {
    this.options = options;
    const maxBytes = options.maxBytes ?? DEFAULT_YAML_MAX_BYTES;
    if (text.length > maxBytes || Buffer.byteLength(text, "utf8") > maxBytes) {
      throw this.tooLarge(`is larger than ${maxBytes} bytes`);
    }
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const [first] = this.doc.errors;
    if (first) {
      const at = this.lines.linePos(first.pos[0]);
      const reason = first.code === "DUPLICATE_KEY" ? "duplicate key" : first.message.split("\n")[0];
      throw invalidInput(
        `${options.codePrefix}_yaml_invalid`,
        `${options.source}:${at.line}:${at.col}: invalid YAML in ${options.what}: ${reason}`,
        {
          hint: `fix the YAML syntax of the ${options.what} file`,
          details: { line: at.line, column: at.col },
        },
      );
    }
    this.indexAliases();
    this.checkExpandedSize(options.maxNodes ?? DEFAULT_YAML_MAX_NODES);
  }

  /** Records each alias's target: the closest anchor of that name before it in the document. */
  private indexAliases(): void {
    const anchors = new Map<string, Node>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (!target) throw this.error([], node, `alias *${node.source} has no anchor before it`);
          this.aliasTargets.set(node, target);
        } else if (node.anchor) {
          anchors.set(node.anchor, node);
        }
      },
    });
  }

  /**
   * Counts the nodes the document expands to when aliases are followed, before anything reads
   * it: a small file that aliases a large list many times (an alias bomb) is refused here
   * instead of exhausting memory. Sizes are memoized per node, so counting is linear.
   */
  private checkExpandedSize(maxNodes: number): void {
    const sizes = new Map<Node, number>();
    const inProgress = new Set<Node>();
    const sizeOf = (value: unknown): number => {
      if (isPair(value)) return sizeOf(value.key) + sizeOf(value.value);
      if (!isNode(value)) return 0;
      const node = isAlias(value) ? this.aliasTargets.get(value)! : value;
      const known = sizes.get(node);
      if (known !== undefined) return known;
      if (inProgress.has(node)) throw this.error([], value, "an alias refers to a node that contains it");
      inProgress.add(node);
      let size = 1;
      if (isMap(node) || isSeq(node)) {
        for (const item of node.items as unknown[]) {
          size += sizeOf(item);
          if (size > maxNodes) break;
        }
      }
      inProgress.delete(node);
      sizes.set(node, size);
      if (size > maxNodes) {
        throw this.tooLarge(`expands to more than ${maxNodes} nodes once aliases are followed`);
      }
      return size;
    };
    sizeOf(this.doc.contents);
  }

  private tooLarge(problem: string): GaitError {
    const { source, codePrefix, what } = this.options;
    return invalidInput(`${codePrefix}_too_large`, `${source}: the ${what} ${problem}`, {
      hint: `a ${what} is small; split it, or use fewer YAML aliases`,
    });
  }

  positionOf(node: Node | Pair["key"] | null | undefined): SourcePosition {
    const offset = (node as Node | null | undefined)?.range?.[0] ?? 0;
    const at = this.lines.linePos(offset);
    return { line: at.line, column: at.col };
  }

  /** The root mapping's entries (key text and position), or a coded error for an empty/non-mapping document. */
  rootEntries(): Array<{ key: string; position: SourcePosition }> {
    return this.rootMap().items.map((pair) => ({ key: keyText(pair), position: this.positionOf(pair.key) }));
  }

  rootMap() {
    const root = this.resolve(this.doc.contents);
    if (root === null || (isScalar(root) && root.value === null)) {
      throw invalidInput(
        `${this.options.codePrefix}_empty`,
        `${this.options.source}: the ${this.options.what} is empty`,
        {
          hint: `write a YAML mapping, e.g. "default_verdict: require_approval"`,
        },
      );
    }
    if (!isMap(root)) {
      throw this.error([], root, `the ${this.options.what} must be a YAML mapping of fields`);
    }
    return root;
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return this.aliasTargets.get(node) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  error(path: readonly (string | number)[], node: unknown, message: string, hint?: string): GaitError {
    return this.errorAt(formatPath(path), this.positionOf(node as Node), message, hint);
  }

  errorAt(path: string, at: SourcePosition | undefined, message: string, hint?: string): GaitError {
    const where = at ? `${this.options.source}:${at.line}:${at.column}` : this.options.source;
    const subject = path === "" ? "" : `${path}: `;
    return invalidInput(`${this.options.codePrefix}_invalid`, `${where}: ${subject}${message}`, {
      hint: hint ?? `fix the ${this.options.what} field and retry`,
      details: at ? { path, line: at.line, column: at.column } : { path },
    });
  }
}

/** The value read from YAML plus the position of every path that was present. */
export interface StrictYamlValue {
  value: Record<string, unknown>;
  positions: Map<string, SourcePosition>;
}

/** Reads the root mapping of `yaml` into plain JSON-like values, shape-checked against `schema`. */
export function readWithSchema(yaml: YamlSource, schema: ShapeSchema): StrictYamlValue {
  const positions = new Map<string, SourcePosition>();
  const reader = new ShapeReader(yaml, positions);
  const value = reader.object(yaml.rootMap(), schema, []);
  return { value, positions };
}

function formatPath(path: readonly (string | number)[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? part : `.${part}`;
  }
  return text;
}

function keyText(pair: Pair): string {
  const key = pair.key;
  if (isScalar(key)) return key.value === null ? "" : String(scalarText(key));
  return String(key);
}

function scalarText(scalar: Scalar): string {
  if (typeof scalar.value === "string") return scalar.value;
  // A plain number or boolean read into a string field keeps its source spelling (as Go's YAML does).
  return scalar.source ?? String(scalar.value);
}

function schemaType(schema: ShapeSchema): string | undefined {
  return schema.type ?? schema.anyOf?.[0]?.type;
}

class ShapeReader {
  constructor(
    private readonly yaml: YamlSource,
    private readonly positions: Map<string, SourcePosition>,
  ) {}

  /** Returns undefined for an explicit null (`key:` with no value), which reads as "not set". */
  value(raw: unknown, schema: ShapeSchema, path: (string | number)[]): unknown {
    const node = this.yaml.resolve(raw);
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    this.positions.set(formatPath(path), this.yaml.positionOf(node));
    switch (schemaType(schema)) {
      case "object":
        if (!isMap(node)) throw this.yaml.error(path, node, "must be a mapping");
        return this.object(node, schema, path);
      case "array":
        return this.array(node, schema, path);
      case "string":
        if (!isScalar(node)) throw this.yaml.error(path, node, "must be a string");
        return scalarText(node);
      case "boolean":
        if (!isScalar(node) || typeof node.value !== "boolean") {
          throw this.yaml.error(path, node, "must be true or false");
        }
        return node.value;
      case "integer":
        return this.integer(node, schema, path);
      case "number":
        if (!isScalar(node) || typeof node.value !== "number" || !Number.isFinite(node.value)) {
          throw this.yaml.error(path, node, "must be a number");
        }
        return node.value;
      default:
        throw new Error(`unsupported schema type at ${formatPath(path)}`);
    }
  }

  object(node: Node, schema: ShapeSchema, path: (string | number)[]): Record<string, unknown> {
    if (!isMap(node)) throw this.yaml.error(path, node, "must be a mapping");
    const properties = schema.properties ?? {};
    const result: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = keyText(pair);
      const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (!property) throw this.unknownField(path, pair, key, Object.keys(properties));
      const value = this.value(pair.value, property, [...path, key]);
      if (value !== undefined) result[key] = value;
      else this.positions.set(formatPath([...path, key]), this.yaml.positionOf(pair.key));
    }
    return result;
  }

  private array(node: Node, schema: ShapeSchema, path: (string | number)[]): unknown[] {
    if (!isSeq(node)) {
      const example = schemaType(schema.items ?? {}) === "string" ? ` (e.g. [${exampleItem(node)}])` : "";
      throw this.yaml.error(path, node, `must be a list${example}`);
    }
    const items = schema.items ?? {};
    return node.items.map((item, index) => {
      const value = this.value(item, items, [...path, index]);
      if (value !== undefined) return value;
      // An empty list entry reads as the zero value, as in Go; normalization drops empty strings.
      return schemaType(items) === "object" ? {} : "";
    });
  }

  private integer(node: Node, schema: ShapeSchema, path: (string | number)[]): number {
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value)) {
      throw this.yaml.error(path, node, "must be an integer");
    }
    if (!Number.isSafeInteger(node.value)) throw this.yaml.error(path, node, "is too large");
    // Every integer in these documents counts something; 0 means "not set" even where the schema
    // says minimum 1, so the reader only rejects negatives.
    if (schema.minimum !== undefined && node.value < 0) {
      throw this.yaml.error(path, node, "must be a non-negative integer");
    }
    return node.value;
  }

  private unknownField(path: (string | number)[], pair: Pair, key: string, allowed: string[]): GaitError {
    const where = path.length === 0 ? "at the top level" : `in ${formatPath(path)}`;
    const suggestion = closestName(key, allowed);
    const hint = suggestion
      ? `did you mean "${suggestion}"?`
      : `allowed fields ${where}: ${allowed.join(", ")}`;
    const at = this.yaml.positionOf(pair.key);
    const { source, codePrefix } = this.yaml.options;
    return invalidInput(
      `${codePrefix}_unknown_field`,
      `${source}:${at.line}:${at.column}: unknown field "${key}" ${where}`,
      {
        hint,
        details: { path: formatPath([...path, key]), line: at.line, column: at.column, field: key },
      },
    );
  }
}

function exampleItem(node: Node): string {
  return isScalar(node) && node.value !== null ? String(scalarText(node)) : "...";
}

/** The allowed name closest to a misspelling (edit distance ≤ 2), if any. */
function closestName(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
