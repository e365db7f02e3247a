/**
 * Where the sidecar listens, and whether it may: a TCP `host:port` (loopback unless the operator
 * explicitly allows a remote bind with a token of their own) or a Unix socket path.
 */
import { isIP } from "node:net";
import { parseListenAddress } from "../config/index.ts";
import { invalidInput } from "./error-codes.ts";

export const DEFAULT_LISTEN = "127.0.0.1:8787";

export type ListenTarget = { kind: "tcp"; host: string; port: number } | { kind: "socket"; path: string };

/** Parses `host:port` (IPv6 in brackets; port 0 picks a free port). */
export function parseListenTarget(text: string): ListenTarget {
  const address = parseListenAddress(text);
  if (!address) {
    throw invalidInput("sidecar_listen_invalid", `--listen ${JSON.stringify(text)} is not host:port`, {
      hint: "e.g. --listen 127.0.0.1:8787 (or 127.0.0.1:0 for a free port), or --socket PATH",
    });
  }
  return { kind: "tcp", ...address };
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost") return true;
  const family = isIP(name);
  if (family === 4) return name.startsWith("127.");
  if (family === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1" || name.startsWith("::ffff:127.");
  return false;
}

/**
 * A non-loopback bind exposes the gate to the network: it needs `--allow-remote` and a token
 * the operator chose (a generated one is printed to whoever started the process, and an
 * accident should not become a remote API).
 */
export function checkBindAllowed(target: ListenTarget, allowRemote: boolean, tokenGiven: boolean): void {
  if (target.kind !== "tcp" || isLoopbackHost(target.host)) return;
  const where = `${target.host}:${target.port}`;
  if (!allowRemote) {
    throw invalidInput("sidecar_remote_bind_refused", `refusing to listen on non-loopback address ${where}`, {
      hint: "listen on 127.0.0.1 (the default), or pass --allow-remote with --token-env VAR to expose the gate",
    });
  }
  if (!tokenGiven) {
    throw invalidInput(
      "sidecar_remote_bind_refused",
      `--allow-remote on ${where} needs an explicit token; a generated one is refused for remote binds`,
      { hint: "export a long random token in a variable and pass --token-env VAR" },
    );
  }
}

export function describeTarget(target: ListenTarget): string {
  if (target.kind === "socket") return `unix:${target.path}`;
  return target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}
