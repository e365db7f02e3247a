/**
 * node:http glue for the sidecar: admits each request from its head, reads an admitted body up
 * to the size limit (stopping at the first byte over it), and writes the handler's answer as one
 * JSON line. Listens on TCP or a Unix socket; closes gracefully.
 */
import { chmod, lstat, unlink } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { fromFsError } from "../contract/errors.ts";
import type { ListenTarget } from "./address.ts";
import { invalidInput } from "./error-codes.ts";
import type { SidecarHandler, SidecarResponse } from "./handler.ts";

export type BoundAddress =
  | { kind: "tcp"; host: string; port: number; url: string }
  | { kind: "socket"; path: string };

export interface RunningServer {
  address: BoundAddress;
  /** Stops accepting, lets requests in flight finish (at most `graceMs`), then resolves. */
  close(graceMs?: number): Promise<void>;
}

/** How long shutdown waits for requests in flight before cutting their connections. */
const DEFAULT_GRACE_MS = 5000;

export async function startServer(
  handler: SidecarHandler,
  target: ListenTarget,
  maxRequestBytes: number,
): Promise<RunningServer> {
  const server = createServer(
    { noDelay: true, requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 },
    (req, res) => serve(handler, maxRequestBytes, req, res),
  );
  const address = await listen(server, target);
  return { address, close: (graceMs = DEFAULT_GRACE_MS) => closeServer(server, graceMs) };
}

function serve(handler: SidecarHandler, maxBytes: number, req: IncomingMessage, res: ServerResponse): void {
  const admission = handler.admit({
    method: req.method ?? "",
    url: req.url ?? "",
    authorization: req.headers.authorization,
    contentType: req.headers["content-type"],
    contentLength: declaredLength(req.headers["content-length"]),
  });
  if ("response" in admission) {
    // A refused body is never read: close the connection instead of draining it for reuse.
    send(res, admission.response, carriesBody(req));
    return;
  }
  const answer = (body: string) =>
    handler.respond(admission.route, body).then((response) => send(res, response, false));
  if (!admission.readBody) {
    void answer("");
    return;
  }
  readBody(req, maxBytes, (body) => {
    if (body === undefined) send(res, handler.tooLarge().response, true);
    else void answer(body);
  });
}

/** Collects the body as UTF-8; `undefined` (once) when it grows past `maxBytes`, after which nothing more is read. */
function readBody(req: IncomingMessage, maxBytes: number, done: (body: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      req.off("data", onData);
      req.off("end", onEnd);
      req.pause();
      done(undefined);
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () =>
    done(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"));
  req.on("data", onData);
  req.on("end", onEnd);
  // A client that hangs up mid-body gets no answer; the error needs a listener, nothing more.
  req.on("error", () => {});
}

function send(res: ServerResponse, response: SidecarResponse, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(response.body);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...response.headers,
  };
  if (closeConnection) {
    headers.connection = "close";
    res.on("finish", () => res.socket?.destroy());
  }
  res.writeHead(response.status, headers);
  res.end(text);
}

function carriesBody(req: IncomingMessage): boolean {
  return (
    req.headers["transfer-encoding"] !== undefined || (declaredLength(req.headers["content-length"]) ?? 0) > 0
  );
}

function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

async function listen(server: Server, target: ListenTarget): Promise<BoundAddress> {
  if (target.kind === "socket") await removeStaleSocket(target.path);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, target));
    server.once("error", onError);
    const ready = () => {
      server.off("error", onError);
      resolve();
    };
    if (target.kind === "socket") server.listen(target.path, ready);
    else server.listen({ host: target.host, port: target.port }, ready);
  });
  if (target.kind === "socket") {
    // Owner only. The token is still required: this only keeps other users from connecting.
    await chmod(target.path, 0o600);
    return { kind: "socket", path: target.path };
  }
  const bound = server.address();
  if (bound === null || typeof bound === "string")
    throw invalidInput("sidecar_listen_failed", "no TCP address bound");
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return { kind: "tcp", host: bound.address, port: bound.port, url: `http://${host}:${bound.port}` };
}

/** A socket file left by a crashed sidecar is removed; a live one (or any other file) is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw fromFsError(error, "inspect socket path", path);
  }
  if (!isSocket) {
    throw invalidInput("sidecar_socket_path_taken", `${path} exists and is not a socket`, {
      hint: "choose another --socket path",
    });
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) {
    throw invalidInput("sidecar_address_in_use", `another process is serving on ${path}`, {
      hint: "stop it, or choose another --socket path",
    });
  }
  await unlink(path);
}

function listenError(error: NodeJS.ErrnoException, target: ListenTarget): Error {
  const where = target.kind === "socket" ? target.path : `${target.host}:${target.port}`;
  if (error.code === "EADDRINUSE") {
    return invalidInput("sidecar_address_in_use", `${where} is already in use`, {
      hint: "stop the other process, or choose another port (127.0.0.1:0 picks a free one)",
    });
  }
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return invalidInput(
      "sidecar_listen_invalid",
      `cannot listen on ${where}: not an address of this machine`,
      {
        hint: "use 127.0.0.1",
      },
    );
  }
  return fromFsError(error, "listen", where);
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
