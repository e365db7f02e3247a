/**
 * A static registry server for tests: serves a folder over http or https on 127.0.0.1 only (an
 * ephemeral port), with a few hostile routes, and stops itself (unref'd, closed by `stop()` and
 * after `lifetimeMs` at the latest), so a failing test never leaves it running.
 *
 *   /reg/<path>          the folder's files
 *   /flaky/<path>        503 on the first request for each path, then the file
 *   /redirect-out/<path> 302 to http://not-allowed.invalid/<path>
 *   /redirect-ok/<path>  302 to the same server under the host name `localhost`
 *   /chunked/<path>      the file, chunked (no content-length)
 */
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface TestRegistryServer {
  url: string;
  port: number;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

export async function startRegistryServer(
  root: string,
  options: { tls?: { key: string; cert: string }; lifetimeMs?: number } = {},
): Promise<TestRegistryServer> {
  const hits = new Map<string, number>();
  const protocol = options.tls ? "https" : "http";
  let port = 0;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const [, route = "", ...rest] = path.split("/");
    const rel = normalize(rest.join("/"));
    if (rel.startsWith("..")) return void res.writeHead(400).end();
    if (route === "redirect-out") {
      return void res.writeHead(302, { location: `http://not-allowed.invalid/reg/${rel}` }).end();
    }
    if (route === "redirect-ok") {
      return void res.writeHead(302, { location: `${protocol}://localhost:${port}/reg/${rel}` }).end();
    }
    if (!["reg", "flaky", "chunked"].includes(route)) return void res.writeHead(404).end("not found");
    if (route === "flaky" && hits.get(path) === 1) return void res.writeHead(503).end("try again");
    let body: Buffer;
    try {
      body = await readFile(join(root, rel));
    } catch {
      return void res.writeHead(404).end("not found");
    }
    if (route === "chunked") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(body.subarray(0, 1));
      return void res.end(body.subarray(1));
    }
    res.writeHead(200, { "content-length": body.length }).end(body);
  };
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, (q, s) => void handler(q, s))
    : createHttpServer((q, s) => void handler(q, s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  setTimeout(() => void stop(), options.lifetimeMs ?? 120_000).unref();
  return { url: `${protocol}://127.0.0.1:${port}`, port, hits, stop };
}
