/**
 * A skill's documented command sequence, read from its SKILL.md so the doc and the acceptance test
 * cannot drift: every fenced block whose info string carries `gait-step` is a step,
 *   ```bash gait-step id=<id> exit=<codes> reads=<fields> export=<VAR>:<field>,...
 * run with bash in a project folder, `gait` on PATH. `exit` lists the exit codes the skill
 * explains, `reads` the JSON fields it tells the agent to read, `export` the fields later steps
 * take as shell variables.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fencedBlocks } from "../../src/skills/index.ts";
import { gaitBin, repoRoot } from "../helpers/cli.ts";

export interface SkillStep {
  id: string;
  exits: number[];
  reads: string[];
  exports: Array<{ variable: string; field: string }>;
  script: string;
}

export function skillSteps(skill: string): SkillStep[] {
  const text = readFileSync(join(repoRoot, "skills", skill, "SKILL.md"), "utf8");
  return fencedBlocks(text)
    .filter((block) => block.info.split(/\s+/).includes("gait-step"))
    .map((block) => {
      const attributes = new Map(
        block.info
          .split(/\s+/)
          .filter((word) => word.includes("="))
          .map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)] as const),
      );
      const list = (name: string) => (attributes.get(name) ?? "").split(",").filter(Boolean);
      return {
        id: attributes.get("id") ?? "",
        exits: list("exit").map(Number),
        reads: list("reads"),
        exports: list("export").map((pair) => {
          const [variable = "", field = ""] = pair.split(":");
          return { variable, field };
        }),
        script: block.text,
      };
    });
}

/** A folder holding a `gait` that runs the built CLI, for PATH. */
export function gaitShimDir(parent: string): string {
  const dir = join(parent, "bin");
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, "gait");
  writeFileSync(
    shim,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(gaitBin)} "$@"\n`,
  );
  chmodSync(shim, 0o755);
  return dir;
}

export interface StepRun {
  exitCode: number;
  json: Record<string, unknown>;
}

/**
 * Runs one step as documented and checks what the skill promises: one JSON object on stdout with
 * every field it says to read, an exit code it explains (and the one this scenario expects).
 * The step's exports are added to `env` for the steps after it.
 */
export function runStep(
  step: SkillStep,
  options: { cwd: string; env: Record<string, string>; expectExit: number; errorEnvelope?: boolean },
): StepRun {
  const result = spawnSync("bash", ["-c", step.script], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  const shown = `step ${step.id} (exit ${result.status}):\n${step.script}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.ok(
    step.exits.includes(options.expectExit),
    `the skill does not explain exit ${options.expectExit}: ${shown}`,
  );
  assert.equal(result.status, options.expectExit, shown);
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `one JSON object on stdout: ${shown}`);
  const json = JSON.parse(lines[0]!) as Record<string, unknown>;
  // An error the skill handles by its code (e.g. fixture_exists) is the envelope, not the result.
  if (options.errorEnvelope) assert.equal(json.ok, false, shown);
  else
    for (const field of step.reads)
      assert.ok(field in json, `the skill reads ${field}, which is absent: ${shown}`);
  for (const { variable, field } of step.exports) {
    assert.equal(typeof json[field], "string", `${field} to export as ${variable}: ${shown}`);
    options.env[variable] = json[field] as string;
  }
  return { exitCode: result.status ?? -1, json };
}
