/**
 * The environment a job is bound to. Its fingerprint is `envfp:` followed by the SHA-256 (hex) of
 * the RFC 8785 canonical JSON of four stable facts: `{arch, cwd, node_major, platform}` (for
 * example `{"arch":"x64","cwd":"/home/me/project","node_major":20,"platform":"linux"}`). They
 * change when the job is resumed on another kind of machine, under another major Node version or
 * from another directory, and stay the same across reboots, Node patch releases and users.
 * Nothing secret and nothing that changes by itself (host names, times, process ids) goes in.
 */
import { digestJcs } from "../contract/canonical.ts";

export interface EnvironmentFacts {
  /** `process.platform`: linux, darwin, win32, ... */
  platform: string;
  /** `process.arch`: x64, arm64, ... */
  arch: string;
  /** Major version of Node. */
  node_major: number;
  /** The absolute working directory the command runs in. */
  cwd: string;
}

export function environmentFingerprint(facts: EnvironmentFacts): string {
  const { platform, arch, node_major, cwd } = facts;
  return `envfp:${digestJcs({ arch, cwd, node_major, platform })}`;
}

/** The facts of this process, working in `cwd` (absolute). */
export function currentEnvironment(cwd: string): EnvironmentFacts {
  return {
    platform: process.platform,
    arch: process.arch,
    node_major: Number(process.versions.node.split(".")[0]),
    cwd,
  };
}
