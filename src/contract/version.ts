/**
 * The version stamped into every artifact's `producer_version`. esbuild replaces
 * `__GAIT_VERSION__` with the package version at build time; unbundled code (tests) reads the
 * same value from package.json's neighbour constant below.
 */
declare const __GAIT_VERSION__: string | undefined;

export const PRODUCER_VERSION: string = typeof __GAIT_VERSION__ === "string" ? __GAIT_VERSION__ : "0.1.0";

declare const __GAIT_BUILD_ID__: string | undefined;

/**
 * Identifies the code of a build (scripts/build.mjs hashes the sources, the lock file and the
 * package version): what caches derived from our code (V8 code, compiled policies) are keyed
 * by. Undefined when running from source, where nothing is cached.
 */
export const BUILD_ID: string | undefined =
  typeof __GAIT_BUILD_ID__ === "string" ? __GAIT_BUILD_ID__ : undefined;
