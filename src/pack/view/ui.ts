/**
 * The pack view page's behaviour in the browser: take the pack embedded in the page (or one the
 * reader picks or drops), verify it with the verifier (verifier.ts), and show the result: the
 * verdict banner, the pack's identity, its contents with each file's state, the control index,
 * and the summaries it carries. Everything is built with DOM nodes and text (no HTML parsing of
 * pack data, ever), so nothing in a pack can become markup, script or a request.
 *
 * SERIALIZED like the verifier: `startPackViewPage` is put into the page with
 * Function.prototype.toString, so its body uses nothing from outside it but `document`, the
 * globals of PAGE_GLOBALS and the verifier it is given. The project compiles without the DOM's
 * types, so the few DOM members used are declared here.
 */
import type { PackEntryReport, PackReport, PackVerifier } from "./verifier.ts";

interface DomFile {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

interface DomEvent {
  preventDefault(): void;
  dataTransfer?: { files: ArrayLike<DomFile>; dropEffect: string } | null;
}

interface DomElement {
  textContent: string | null;
  value: string;
  files?: ArrayLike<DomFile> | null;
  append(...nodes: Array<DomElement | string>): void;
  replaceChildren(...nodes: Array<DomElement | string>): void;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  addEventListener(type: string, listener: (event: DomEvent) => void): void;
}

interface DomDocument {
  title: string;
  documentElement: DomElement;
  getElementById(id: string): DomElement | null;
  createElement(tag: string): DomElement;
  addEventListener(type: string, listener: (event: DomEvent) => void): void;
}

/** Element ids the page's markup (page.ts) provides. */
export const PAGE_IDS = {
  verdict: "verdict",
  verdictLabel: "verdict-label",
  verdictDetail: "verdict-detail",
  packName: "pack-name",
  report: "report",
  fileInput: "pack-file",
  keyInput: "public-key",
  recheck: "recheck",
  embedded: "gait-pack-zip",
} as const;

export function startPackViewPage(verifier: PackVerifier): void {
  const doc = (globalThis as unknown as { document: DomDocument }).document;
  const byId = (id: string): DomElement => {
    const found = doc.getElementById(id);
    if (!found) throw new Error(`the page lacks #${id}`);
    return found;
  };
  const verdict = byId("verdict");
  const verdictLabel = byId("verdict-label");
  const verdictDetail = byId("verdict-detail");
  const packName = byId("pack-name");
  const reportArea = byId("report");
  const fileInput = byId("pack-file");
  const keyInput = byId("public-key");

  /** An element with fixed attributes (classes come from this file, never from data) and text children. */
  function h(tag: string, attributes: Record<string, string> = {}, ...children: Array<DomElement | string>) {
    const element = doc.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children);
    return element;
  }
  const pill = (text: string, tone: string, title?: string) =>
    h("span", title ? { class: `pill ${tone}`, title } : { class: `pill ${tone}` }, text);
  const code = (text: string, title?: string) => h("code", title ? { title } : {}, text);
  const short = (digest: string) => code(`${digest.slice(0, 12)}\u2026`, digest);
  const section = (title: string, ...children: Array<DomElement | string>) =>
    h("section", {}, h("h2", {}, title), ...children);
  const table = (head: string[], rows: Array<Array<DomElement | string>>, className = "") =>
    h(
      "table",
      className ? { class: className } : {},
      h("thead", {}, h("tr", {}, ...head.map((label) => h("th", {}, label)))),
      h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
    );
  const definitions = (rows: Array<[string, DomElement | string]>) =>
    h("dl", { class: "meta" }, ...rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
  const size = (bytes: number | undefined) =>
    bytes === undefined
      ? "-"
      : bytes < 1024
        ? `${bytes} B`
        : bytes < 1024 * 1024
          ? `${(bytes / 1024).toFixed(1)} KiB`
          : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const text = (value: unknown) =>
    typeof value === "string" ? value : value === undefined ? "-" : JSON.stringify(value);

  let current: { name: string; bytes: Uint8Array } | undefined;
  let run = 0;

  function setVerdict(status: string, tone: string, label: string, detail: string): void {
    verdict.setAttribute("data-status", status);
    verdict.setAttribute("class", `verdict ${tone}`);
    verdictLabel.textContent = label;
    verdictDetail.textContent = detail;
  }

  async function check(): Promise<void> {
    const mine = ++run;
    if (!current) {
      setVerdict("empty", "neutral", "no pack", "choose a pack zip below, or drop one on this page");
      reportArea.replaceChildren();
      return;
    }
    packName.textContent = current.name;
    doc.title = `gait pack view: ${current.name}`;
    setVerdict("checking", "info", "checking\u2026", `reading ${current.name}`);
    reportArea.replaceChildren();
    const key = keyInput.value.trim();
    let report: PackReport;
    try {
      if (!globalThis.crypto?.subtle) {
        throw new Error(
          "this browser offers no WebCrypto to this page (open the file directly, from file://, or over https)",
        );
      }
      report = await verifier.verifyPack(current.bytes, key ? { publicKey: key } : {});
    } catch (error) {
      if (mine === run) setVerdict("error", "bad", "not checked", (error as Error).message);
      return;
    }
    if (mine !== run) return;
    showVerdict(report);
    reportArea.replaceChildren(...renderReport(report, current));
  }

  function signatureSentence(report: PackReport): string {
    const s = report.signature;
    if (!s) return "";
    const signers =
      s.signer_key_ids.length > 0 ? ` ${s.signer_key_ids.map((k) => k.slice(0, 16)).join(", ")}` : "";
    switch (s.status) {
      case "verified":
        return `signature verified with key ${s.key_id}`;
      case "missing":
        return "unsigned: no signature says who built it";
      case "skipped":
        return `signed by key${signers}; signature not checked: no public key given (paste it above and check again)`;
      case "unsupported":
        return "signature not checked: this browser has no Ed25519 in WebCrypto";
      case "failed":
        return `signature does not verify: ${s.errors.join("; ")}`;
    }
  }

  function showVerdict(report: PackReport): void {
    if (report.status === "invalid") {
      setVerdict(
        "invalid",
        "bad",
        "not a pack",
        report.problems.map((p) => verifier.problemText(p)).join("; "),
      );
      return;
    }
    if (report.status === "tampered") {
      const reasons = report.problems
        .slice(0, 3)
        .map((p) => verifier.problemText(p))
        .join("; ");
      const more = report.problems.length > 3 ? ` (and ${report.problems.length - 3} more below)` : "";
      setVerdict("tampered", "bad", "tampered", `${reasons}${more}`);
      return;
    }
    const signed = report.signature?.status === "verified";
    const files = `${report.files_checked} file(s) match the manifest, pack_id ${report.pack_id?.matches ? "recomputed" : "as declared"}`;
    setVerdict("verified", signed ? "good" : "warn", "verified", `${files}; ${signatureSentence(report)}`);
  }

  const ENTRY_TONES: Record<string, string> = {
    ok: "good",
    manifest: "info",
    unlisted: "warn",
    mismatch: "bad",
    missing: "bad",
    undeclared: "bad",
    unreadable: "bad",
  };
  const ENTRY_LABELS: Record<string, string> = {
    ok: "verified",
    manifest: "manifest",
    unlisted: "not declared",
    mismatch: "modified",
    missing: "missing",
    undeclared: "undeclared",
    unreadable: "unreadable",
  };
  const entryPill = (entry: PackEntryReport | undefined) =>
    entry
      ? pill(ENTRY_LABELS[entry.state] ?? entry.state, ENTRY_TONES[entry.state] ?? "neutral", entry.note)
      : pill("not in the pack", "neutral");

  function renderReport(report: PackReport, pack: { name: string; bytes: Uint8Array }): DomElement[] {
    const m = report.manifest ?? {};
    const out: DomElement[] = [];
    const identity: Array<[string, DomElement | string]> = [
      ["file", h("span", {}, code(pack.name), ` (${size(report.bytes)})`)],
    ];
    if (report.kind) {
      identity.push([
        "kind",
        report.kind === "pack"
          ? "PackSpec pack (gait.pack.manifest)"
          : "Guard evidence pack (gait.guard.pack_manifest)",
      ]);
    }
    if (report.pack_id) {
      identity.push([
        "pack id",
        h(
          "span",
          {},
          code(report.pack_id.declared),
          " ",
          report.pack_id.matches
            ? pill("recomputed", "good", "recomputed from the manifest by this page")
            : pill(
                report.kind === "pack" ? "does not match" : "not by the rule",
                report.kind === "pack" ? "bad" : "warn",
                report.pack_id.computed,
              ),
        ),
      ]);
    }
    const fields =
      report.kind === "guard"
        ? ["run_id", "case_id", "template_id", "generated_at", "created_at", "producer_version"]
        : ["pack_type", "source_ref", "created_at", "producer_version"];
    for (const field of fields)
      if (m[field] !== undefined) identity.push([field.replace("_", " "), text(m[field])]);
    if (report.signature) {
      const tone = {
        verified: "good",
        failed: "bad",
        missing: "neutral",
        skipped: "warn",
        unsupported: "warn",
      }[report.signature.status];
      identity.push([
        "signature",
        h("span", {}, pill(report.signature.status, tone), " ", signatureSentence(report)),
      ]);
    }
    if (report.proof) {
      identity.push([
        "proof records",
        report.proof.ok
          ? h("span", {}, pill("verified", "good"), ` ${report.proof.records} record(s), hash chain intact`)
          : h("span", {}, pill("failed", "bad"), ` ${report.proof.problems.join("; ")}`),
      ]);
    }
    out.push(section("Pack", definitions(identity)));

    if (report.problems.length > 0) {
      out.push(
        section(
          "Problems",
          h(
            "ul",
            { class: "problems" },
            ...report.problems.map((p) =>
              h("li", {}, p.path ? code(p.path) : "", p.path ? " " : "", p.message),
            ),
          ),
        ),
      );
    }
    if (report.warnings.length > 0) {
      out.push(section("Notes", h("ul", { class: "notes" }, ...report.warnings.map((w) => h("li", {}, w)))));
    }
    if (report.entries.length > 0) {
      out.push(
        section(
          "Contents",
          table(
            ["path", "type", "size", "sha256", "state"],
            report.entries.map((e) => [
              code(e.path),
              e.type ?? "-",
              size(e.size),
              e.sha256 ? short(e.sha256) : e.declared_sha256 ? short(e.declared_sha256) : "-",
              entryPill(e),
            ]),
            "contents",
          ),
        ),
      );
    }
    const byPath = new Map(report.entries.map((e) => [e.path, e]));
    // A control with no evidence is a gap (audit templates list every control, evidenced or not).
    const controlPill = (paths: readonly string[]) =>
      paths.length === 0
        ? pill("gap", "warn", "no evidence in this pack for this control")
        : paths.every((p) => byPath.get(p)?.state === "ok")
          ? pill("evidenced", "good", "every evidence file is present and matches the manifest")
          : pill("evidence not verified", "bad", "an evidence file is missing or modified");
    if (report.control_index.length > 0) {
      out.push(
        section(
          "Control index",
          table(
            ["control", "status", "title", "evidence"],
            report.control_index.map((c) => [
              code(c.control_id),
              controlPill(c.evidence_paths),
              c.title,
              h(
                "span",
                {},
                ...c.evidence_paths.flatMap((p) => [code(p), " ", entryPill(byPath.get(p)), " "]),
              ),
            ]),
            "control-index",
          ),
        ),
      );
    }
    if (Array.isArray(m.evidence_pointers) && m.evidence_pointers.length > 0) {
      out.push(
        section(
          "Evidence pointers",
          table(
            ["pointer", "path", "type", "sha256"],
            (m.evidence_pointers as Array<Record<string, unknown>>).map((p) => [
              text(p.pointer_id),
              code(text(p.path)),
              text(p.type),
              typeof p.sha256 === "string" ? short(p.sha256) : "-",
            ]),
          ),
        ),
      );
    }
    if (m.incident_window && typeof m.incident_window === "object") {
      const w = m.incident_window as Record<string, unknown>;
      out.push(
        section(
          "Incident window",
          definitions([
            ["from", text(w.from)],
            ["to", text(w.to)],
            ["seconds", text(w.window_seconds)],
            ["anchor", text(w.selection_anchor)],
          ]),
        ),
      );
    }
    if (report.run) {
      const r = report.run;
      const counts = (c: Record<string, number>) =>
        Object.keys(c).length === 0
          ? "-"
          : Object.entries(c)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, n]) => `${k}: ${n}`)
              .join(", ");
      out.push(
        section(
          "Run",
          h(
            "p",
            { class: "muted" },
            "Derived from source/runpack.zip, whose files and manifest digest this page checked.",
          ),
          definitions([
            ["run id", code(r.run_id)],
            ["created at", r.created_at],
            ["capture mode", r.capture_mode],
            ["manifest digest", short(r.manifest_digest)],
            ["intents", `${r.intents} (by tool: ${counts(r.intents_by_tool)})`],
            ["results", `${r.results} (by status: ${counts(r.results_by_status)})`],
            ["verdicts", counts(r.verdicts)],
            ["reason codes", counts(r.reason_codes)],
            ["references", String(r.refs)],
          ]),
        ),
      );
    }
    if (report.documents.length > 0) {
      out.push(
        section(
          "Summaries",
          h("p", { class: "muted" }, "Read from the pack's verified JSON files, as they are."),
          ...report.documents.map((d) => summary(d.path, d.value)),
        ),
      );
    }
    return out;
  }

  /** A JSON document: its top-level facts in a table, the whole of it under a disclosure. */
  function summary(path: string, value: unknown): DomElement {
    const facts: Array<[string, string]> = [];
    const describe = (v: unknown): string => {
      if (v === null || typeof v !== "object") return JSON.stringify(v);
      if (Array.isArray(v)) {
        const scalars = v.every((item) => item === null || typeof item !== "object");
        return scalars && v.length <= 8
          ? v.map((item) => JSON.stringify(item)).join(", ") || "[]"
          : `${v.length} item(s)`;
      }
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return entries.length <= 12 && entries.every(([, item]) => item === null || typeof item !== "object")
        ? entries.map(([k, item]) => `${k}: ${JSON.stringify(item)}`).join(", ")
        : `${entries.length} field(s)`;
    };
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const key of Object.keys(value).sort())
        facts.push([key, describe((value as Record<string, unknown>)[key])]);
    } else facts.push(["value", describe(value)]);
    let pretty = JSON.stringify(JSON.parse(verifier.canonicalize(value)), null, 2);
    if (pretty.length > 200_000) pretty = `${pretty.slice(0, 200_000)}\n\u2026 (cut at 200 000 characters)`;
    return h(
      "div",
      { class: "summary" },
      h("h3", {}, code(path)),
      table(
        ["field", "value"],
        facts.map(([k, v]) => [code(k), v]),
        "facts",
      ),
      h("details", {}, h("summary", {}, "whole file"), h("pre", {}, pretty)),
    );
  }

  async function load(file: DomFile): Promise<void> {
    // Said at once, before the file is read: the old verdict must not stand for the new file.
    run++;
    packName.textContent = file.name;
    setVerdict("checking", "info", "checking\u2026", `reading ${file.name}`);
    reportArea.replaceChildren();
    const bytes = new Uint8Array(await file.arrayBuffer());
    current = { name: file.name, bytes };
    await check();
  }

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    if (file) void load(file);
  });
  byId("recheck").addEventListener("click", () => void check());
  keyInput.addEventListener("change", () => void check());
  doc.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  doc.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) void load(file);
  });

  const embedded = doc.getElementById("gait-pack-zip");
  const base64 = embedded?.textContent?.trim() ?? "";
  if (embedded && base64 !== "") {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    current = { name: embedded.getAttribute("data-name") || "pack.zip", bytes };
  }
  void check();
}
