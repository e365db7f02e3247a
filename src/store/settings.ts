/**
 * Where the artifact store's settings come from (artifact-store.ts). Kept apart so the CLI can
 * install its resolver on every call without loading the store itself (age, the envelope reader
 * and the built-ins they need): only commands that write or read artifacts load that.
 */
import type { KeyHook } from "./key-hooks.ts";

export interface StoreSettings {
  /** age recipients every artifact is encrypted to; none means artifacts are written in plain. */
  recipients: readonly string[];
  /** The key hook that opens encrypted artifacts (`--identity*` flags or `store.identity`). */
  identity?: KeyHook;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export type StoreResolver = () => Promise<StoreSettings | undefined>;

let resolver: StoreResolver | undefined;
let resolved: Promise<StoreSettings | undefined> | undefined;
/** What was derived from the previous settings (the store's fetched key), forgotten on a change. */
const forgetters: Array<() => void> = [];

/**
 * Installs where the store's settings come from (undefined: plain, no identity). The previous
 * settings and any key fetched with them are forgotten.
 */
export function useArtifactStore(next: StoreResolver | undefined): void {
  resolver = next;
  resolved = undefined;
  for (const forget of forgetters) forget();
}

/** The settings, resolved on first use. */
export function storeSettings(): Promise<StoreSettings | undefined> {
  resolved ??= resolver ? resolver() : Promise.resolve(undefined);
  return resolved;
}

/** Calls `forget` whenever useArtifactStore installs new settings. */
export function onStoreSettingsChange(forget: () => void): void {
  forgetters.push(forget);
}
