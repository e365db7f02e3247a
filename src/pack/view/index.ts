/**
 * `gait pack view <zip> [--out report.html]`: a pack as one self-contained HTML page that verifies
 * it in the reader's browser (page.ts), and the same verification run here, with the same code,
 * so the command can say what the page will say. A view is not evidence: it may be regenerated
 * (and overwritten) at will; the pack is the evidence.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { fromFsError, invalidInput } from "../../contract/errors.ts";
import { writeFileAtomic } from "../../contract/files.ts";
import type { VerifyKey } from "../../contract/signing.ts";
import { assertPageTarget } from "../../runpack/index.ts";
import { renderPackViewPage } from "./page.ts";
import { createPackVerifier, type PackReport } from "./verifier.ts";

export { type PackViewPageInput, renderPackViewPage } from "./page.ts";
export {
  createPackVerifier,
  type PackReport,
  type PackStatus,
  type PackVerifier,
  type SignatureState,
} from "./verifier.ts";

/**
 * The largest pack embedded in a page (base64 makes the page a third larger). The verifier's own
 * limits are the contract's (100 MiB per entry, 1 GiB in all); a bigger pack can still be checked
 * by choosing it in an empty page.
 */
export const MAX_EMBEDDED_PACK_BYTES = 256 * 1024 * 1024;

export interface PackViewRequest {
  /** The pack zip, relative to cwd. */
  pack: string;
  cwd: string;
  /** Where the page goes (relative to cwd); default ./gait-out/view_<zip name>.html. */
  out?: string;
  /** Put in the page's key field and used here: a signed pack's signature is checked with it. */
  verifyKey?: VerifyKey;
  /** A key found rather than given (the project's dev key): used only if a signature names it. */
  defaultKey?: VerifyKey;
}

export interface PackViewOutcome {
  /** Absolute path of the page. */
  path: string;
  packPath: string;
  /** True when a page was already there. */
  replaced: boolean;
  report: PackReport;
}

export function defaultPackViewPath(cwd: string, packPath: string): string {
  return resolve(cwd, "gait-out", `view_${basename(packPath).replace(/\.zip$/i, "")}.html`);
}

/** Reads the pack, verifies it as the page will, and writes the page (atomically). */
export async function viewPack(request: PackViewRequest): Promise<PackViewOutcome> {
  const packPath = resolve(request.cwd, request.pack);
  const info = await stat(packPath).catch((error) => {
    throw fromFsError(error, "read pack", packPath);
  });
  if (info.isDirectory()) {
    throw invalidInput("path_is_directory", `${request.pack} is a directory, not a pack zip`, {
      hint: "give the path of a pack zip, e.g. ./gait-out/pack_<id>.zip",
    });
  }
  if (info.size > MAX_EMBEDDED_PACK_BYTES) {
    throw invalidInput(
      "zip_too_large",
      `${request.pack} is ${info.size} bytes; a page embeds packs up to ${MAX_EMBEDDED_PACK_BYTES} bytes`,
      { hint: "verify it with gait pack verify, or open an empty page and choose the file there" },
    );
  }
  const zip = await readFile(packPath).catch((error) => {
    throw fromFsError(error, "read pack", packPath);
  });
  const path = request.out ? resolve(request.cwd, request.out) : defaultPackViewPath(request.cwd, packPath);
  assertPageTarget(path, [packPath], request.cwd);
  const verifier = createPackVerifier();
  let publicKey = request.verifyKey?.publicRaw.toString("base64");
  let report = await verifier.verifyPack(new Uint8Array(zip), publicKey ? { publicKey } : {});
  if (
    !publicKey &&
    request.defaultKey &&
    report.signature?.signer_key_ids.includes(request.defaultKey.keyId)
  ) {
    publicKey = request.defaultKey.publicRaw.toString("base64");
    report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
  }
  const replaced = await stat(path).then(
    () => true,
    () => false,
  );
  const page = renderPackViewPage({ zip, name: basename(packPath), ...(publicKey ? { publicKey } : {}) });
  await writeFileAtomic(path, page);
  return { path, packPath, replaced, report };
}
