/**
 * The `yaml` package (the positioned parser and the policy formatter), loaded on first use: its
 * module set-up costs a few milliseconds that a CLI call reading a well-formed policy never needs
 * (contract/yaml-strict.ts reads those with js-yaml).
 *
 * In the bundles esbuild bundles the require() below and runs the package only when it is
 * called; from source (tests under tsx, which run as ES modules) there is no require, so one is
 * made for this file.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yamlPackage(): typeof Yaml {
  loaded ??= (
    typeof require === "function" ? require("yaml") : createRequire(import.meta.url)("yaml")
  ) as typeof Yaml;
  return loaded;
}
