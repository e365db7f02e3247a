/**
 * The version stamped into every artifact's `producer_version`. esbuild replaces
 * `__GAIT_VERSION__` with the package version at build time; unbundled code (tests) reads the
 * same value from package.json's neighbour constant below.
 */
declare const __GAIT_VERSION__: string | undefined;

export const PRODUCER_VERSION: string = typeof __GAIT_VERSION__ === "string" ? __GAIT_VERSION__ : "0.1.0";
