/**
 * Where a registry's files come from: a folder, or a static web host over https (http only with
 * --allow-insecure-http, for loopback tests). Every read is capped; remote reads follow redirects
 * only to allowed hosts (the source's own host and --allow-host), never from https to http, and
 * retry a bounded number of times on transient failures only (connection errors, timeouts, 408,
 * 429, 5xx). Uses node's http/https clients.
 */
import { open } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { resolve, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fromFsError } from "../contract/errors.ts";
import { gaitError, invalidInput, verificationFailed } from "./error-codes.ts";

export const DEFAULT_MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface RemoteOptions {
  /** Hosts redirects may go to, besides the source's own. */
  allowHosts: readonly string[];
  allowInsecureHttp: boolean;
  retryMaxAttempts: number;
  retryBaseDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_REMOTE_OPTIONS: RemoteOptions = {
  allowHosts: [],
  allowInsecureHttp: false,
  retryMaxAttempts: 3,
  retryBaseDelayMs: 200,
  timeoutMs: 30_000,
};

export interface RegistrySource {
  /** The source as the user gave it (recorded in gait.lock). */
  readonly name: string;
  readonly remote: boolean;
  /** The bytes of `relPath` (already checked to be a plain relative path), at most `maxBytes`. */
  read(relPath: string, maxBytes: number): Promise<Buffer>;
}

export function isRemoteSource(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

export function openSource(source: string, cwd: string, options: RemoteOptions): RegistrySource {
  return isRemoteSource(source) ? remoteSource(source, options) : directorySource(source, cwd);
}

function tooLarge(what: string, maxBytes: number) {
  return verificationFailed(
    "registry_download_too_large",
    `${what} is larger than the ${maxBytes}-byte cap`,
    {
      hint: "a registry file this large is refused; raise --max-download-bytes only for a source you trust",
      details: { max_bytes: maxBytes },
    },
  );
}

function directorySource(source: string, cwd: string): RegistrySource {
  const root = resolve(cwd, source);
  return {
    name: source,
    remote: false,
    async read(relPath, maxBytes) {
      const path = resolve(root, relPath);
      if (!path.startsWith(root + sep)) {
        throw verificationFailed("registry_artifact_path_invalid", `${relPath} escapes the registry folder`);
      }
      let handle: Awaited<ReturnType<typeof open>> | undefined;
      try {
        handle = await open(path, "r");
        const info = await handle.stat();
        if (!info.isFile()) throw invalidInput("registry_artifact_missing", `${path} is not a file`);
        if (info.size > maxBytes) throw tooLarge(relPath, maxBytes);
        const buffer = Buffer.alloc(Math.min(maxBytes, info.size) + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > maxBytes) throw tooLarge(relPath, maxBytes);
        return buffer.subarray(0, bytesRead);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          throw verificationFailed("registry_artifact_missing", `${source}: ${relPath} does not exist`, {
            hint: "the registry does not hold a file its signed metadata lists; re-publish it",
          });
        }
        throw fromFsError(error, "read registry file", path);
      } finally {
        await handle?.close();
      }
    },
  };
}

function remoteSource(source: string, options: RemoteOptions): RegistrySource {
  let base: URL;
  try {
    base = new URL(source.endsWith("/") ? source : `${source}/`);
  } catch {
    throw invalidInput("registry_source_invalid", `--source ${source} is not a URL`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw invalidInput(
      "registry_source_invalid",
      `--source ${source}: only https (and http with --allow-insecure-http) are supported`,
    );
  }
  if (base.protocol === "http:" && !options.allowInsecureHttp) {
    throw invalidInput("registry_insecure_source", `--source ${source} is plain http`, {
      hint: "use an https registry; --allow-insecure-http is for loopback tests only",
    });
  }
  if (base.username || base.password) {
    throw invalidInput("registry_source_invalid", "--source must not carry credentials in the URL");
  }
  const allowed = new Set([
    base.hostname.toLowerCase(),
    ...options.allowHosts.map((h) => h.trim().toLowerCase()),
  ]);
  return {
    name: source,
    remote: true,
    read: (relPath, maxBytes) => fetchWithRetries(new URL(relPath, base), allowed, maxBytes, options),
  };
}

class Transient extends Error {}

/**
 * node's http or https client, loaded on use: they cost start-up time no other command needs. A
 * require (as contract/yaml-package.ts does): the CLI bundle runs without a dynamic-import hook.
 */
function httpClient(name: "node:http" | "node:https"): typeof import("node:https") {
  return (
    typeof require === "function" ? require(name) : createRequire(import.meta.url)(name)
  ) as typeof import("node:https");
}

async function fetchWithRetries(
  url: URL,
  allowed: Set<string>,
  maxBytes: number,
  options: RemoteOptions,
): Promise<Buffer> {
  const attempts = Math.max(1, options.retryMaxAttempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchFollowing(url, allowed, maxBytes, options);
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
      if (attempt >= attempts) {
        throw gaitError(
          "network_transient",
          "registry_fetch_failed",
          `fetch ${url.href}: ${error.message} (after ${attempt} attempts)`,
          {
            hint: "the registry did not answer; retry later, or install from the cache with --offline",
          },
        );
      }
      await sleep(options.retryBaseDelayMs * 2 ** (attempt - 1));
    }
  }
}

async function fetchFollowing(
  start: URL,
  allowed: Set<string>,
  maxBytes: number,
  options: RemoteOptions,
): Promise<Buffer> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const response = await request(url, options.timeoutMs);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) {
        throw verificationFailed(
          "registry_redirect_not_allowed",
          `fetch ${start.href}: more than ${MAX_REDIRECTS} redirects`,
        );
      }
      const next = new URL(response.headers.location, url);
      if (!allowed.has(next.hostname.toLowerCase())) {
        throw verificationFailed(
          "registry_redirect_not_allowed",
          `fetch ${start.href}: redirect to ${next.hostname}, a host not allowed`,
          {
            hint: "add the host with --allow-host only if you trust it",
            details: { redirect_host: next.hostname },
          },
        );
      }
      if (next.protocol !== "https:" && !(next.protocol === "http:" && options.allowInsecureHttp)) {
        throw verificationFailed(
          "registry_redirect_not_allowed",
          `fetch ${start.href}: redirect to ${next.protocol} is not allowed`,
        );
      }
      url = next;
      continue;
    }
    if (status === 408 || status === 429 || status >= 500) {
      response.resume();
      throw new Transient(`HTTP ${status}`);
    }
    if (status !== 200) {
      response.resume();
      throw gaitError("network_permanent", "registry_fetch_failed", `fetch ${url.href}: HTTP ${status}`, {
        hint: "check --source and the pack name; the registry does not serve this file",
        details: { status },
      });
    }
    const declared = Number(response.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      throw tooLarge(url.href, maxBytes);
    }
    return readCapped(response, maxBytes, url.href);
  }
}

async function request(url: URL, timeoutMs: number): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? httpClient("node:https") : httpClient("node:http");
  return new Promise((resolvePromise, reject) => {
    const req = client.get(
      url,
      { headers: { "user-agent": "gait-registry", accept: "*/*" }, timeout: timeoutMs },
      resolvePromise,
    );
    req.on("timeout", () => req.destroy(new Transient(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => {
      if (error instanceof Transient) return reject(error);
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const transient = [
        "ECONNRESET",
        "ECONNREFUSED",
        "ETIMEDOUT",
        "EAI_AGAIN",
        "EPIPE",
        "ENETUNREACH",
        "EHOSTUNREACH",
      ];
      if (transient.includes(code)) return reject(new Transient(`${code} ${error.message}`));
      reject(
        gaitError("network_permanent", "registry_fetch_failed", `fetch ${url.href}: ${error.message}`, {
          hint: "check the registry URL and its TLS certificate",
        }),
      );
    });
  });
}

function readCapped(response: IncomingMessage, maxBytes: number, what: string): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    response.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        response.destroy();
        reject(tooLarge(what, maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => resolvePromise(Buffer.concat(chunks)));
    response.on("error", (error) => reject(new Transient(error.message)));
  });
}
