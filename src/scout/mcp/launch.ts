/**
 * What a stdio server's command line launches: the executable's name and, for the package runners
 * people put in MCP configs, the package (`npx -y @scope/pkg@1.2` → `@scope/pkg`, `uvx pkg==1.0` →
 * `pkg`, `docker run … image:tag` → `image`). Args are read, never copied out: only a token that
 * is a well-formed package or image name leaves this file, and for docker the NAMES of `-e` vars.
 */

export interface Launch {
  /** The executable's file name without directory and Windows extension (`npx`, `uvx`, `python`). */
  executable?: string;
  /** The launched package, registry-agnostic (`@scope/pkg`, `mcp-server-time`, `ghcr.io/o/img`). */
  package?: string;
  /** Env var names passed by the launcher itself (`docker run -e NAME`). */
  envNames: string[];
  /** The executable is a package runner or runtime, so its name says nothing about the server. */
  isRunner: boolean;
}

/** Runners and runtimes: `docker` or `node` as a command tells nothing of what the server does. */
const RUNNERS = new Set([
  "npx",
  "npm",
  "pnpm",
  "pnpx",
  "yarn",
  "bunx",
  "bun",
  "deno",
  "node",
  "uvx",
  "uv",
  "pipx",
  "python",
  "python3",
  "py",
  "docker",
  "podman",
  "java",
  "dotnet",
  "go",
  "cargo",
]);

export function describeLaunch(command: string | undefined, args: readonly string[]): Launch {
  if (command === undefined) return { envNames: [], isRunner: false };
  let file = fileName(command);
  let rest = [...args];
  // `"command": "npx -y pkg"`: some users write the whole line in `command`. A Windows path with
  // spaces (`C:\Program Files\nodejs\node.exe`) ends in a plain `.exe` name and is left whole.
  const windowsPath = !/\s/.test(file) && stripWindowsExtension(file) !== file;
  if (/\s/.test(command) && !windowsPath) {
    const words = command.trim().split(/\s+/);
    file = fileName(words[0] ?? "");
    if (rest.length === 0) rest = words.slice(1);
  }
  const stripped = stripWindowsExtension(file);
  // Only a plain file name is emitted: never `TOKEN=… node`, never anything with a separator.
  const executable = EXECUTABLE_NAME.test(stripped) ? stripped : "";
  const launch: Launch = { envNames: [], isRunner: RUNNERS.has(executable.toLowerCase()) };
  if (executable !== "") launch.executable = executable;
  const recognised = launchedPackage(executable.toLowerCase(), rest, launch.envNames);
  if (recognised !== undefined) launch.package = recognised;
  return launch;
}

function launchedPackage(executable: string, args: string[], envNames: string[]): string | undefined {
  const [first, second] = args;
  switch (executable) {
    case "npx":
    case "pnpx":
    case "bunx":
      return npmRunnerPackage(args);
    case "npm":
      return first === "exec" || first === "x" ? npmRunnerPackage(args.slice(1)) : undefined;
    case "pnpm":
    case "yarn":
      return first === "dlx" ? npmRunnerPackage(args.slice(1)) : undefined;
    case "bun":
      return first === "x" ? npmRunnerPackage(args.slice(1)) : undefined;
    case "uvx":
      return uvxPackage(args);
    case "uv":
      return first === "tool" && second === "run" ? uvxPackage(args.slice(2)) : undefined;
    case "pipx":
      return first === "run" ? pipxPackage(args.slice(1)) : undefined;
    case "docker":
    case "podman": {
      if (first === "run") return dockerImage(args.slice(1), envNames);
      if (first === "container" && second === "run") return dockerImage(args.slice(2), envNames);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** npx / pnpm dlx / yarn dlx / bunx: `-p|--package <spec>` or the first positional. */
function npmRunnerPackage(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-p" || arg === "--package") return npmName(args[i + 1]);
    if (arg.startsWith("--package=")) return npmName(arg.slice("--package=".length));
    if (arg === "-c" || arg === "--call" || arg.startsWith("--call=")) return undefined;
    if (arg === "--") return npmName(args[i + 1]);
    if (arg.startsWith("-")) continue;
    return npmName(arg);
  }
  return undefined;
}

const UVX_VALUE_OPTIONS = new Set([
  "--with",
  "--with-editable",
  "--with-requirements",
  "--constraints",
  "-c",
  "--overrides",
  "--python",
  "-p",
  "--index",
  "--default-index",
  "--index-url",
  "-i",
  "--extra-index-url",
  "--find-links",
  "-f",
  "--cache-dir",
  "--directory",
  "--project",
  "--config-file",
  "--env-file",
  "--refresh-package",
  "--reinstall-package",
  "--upgrade-package",
  "-P",
]);

/** uvx / uv tool run: `--from <spec>` names the package, else the command is the package. */
function uvxPackage(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--from") return pythonName(args[i + 1]);
    if (arg.startsWith("--from=")) return pythonName(arg.slice("--from=".length));
    if (UVX_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return pythonName(arg);
  }
  return undefined;
}

const PIPX_VALUE_OPTIONS = new Set(["--python", "--index-url", "-i", "--pip-args", "--backend"]);

/** pipx run: `--spec <spec>` names the package, else the app is the package. */
function pipxPackage(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--spec") return pythonName(args[i + 1]);
    if (arg.startsWith("--spec=")) return pythonName(arg.slice("--spec=".length));
    if (PIPX_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return pythonName(arg);
  }
  return undefined;
}

/** `docker run` options that take a value as the next argument. */
const DOCKER_VALUE_OPTIONS = new Set([
  "-a",
  "--attach",
  "--add-host",
  "--cap-add",
  "--cap-drop",
  "--cgroupns",
  "--cidfile",
  "--cpus",
  "--cpu-shares",
  "-c",
  "--device",
  "--dns",
  "--entrypoint",
  "--env-file",
  "--gpus",
  "-h",
  "--hostname",
  "--ipc",
  "-l",
  "--label",
  "--label-file",
  "--log-driver",
  "--log-opt",
  "-m",
  "--memory",
  "--mount",
  "--name",
  "--network",
  "--net",
  "--pid",
  "--platform",
  "-p",
  "--publish",
  "--pull",
  "--restart",
  "--runtime",
  "--security-opt",
  "--shm-size",
  "--stop-signal",
  "--tmpfs",
  "-u",
  "--user",
  "--ulimit",
  "-v",
  "--volume",
  "--volumes-from",
  "-w",
  "--workdir",
]);

/** docker run: env names from `-e`/`--env`, the image is the first positional (tag and digest cut). */
function dockerImage(args: string[], envNames: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-e" || arg === "--env") {
      pushEnvName(args[i + 1], envNames);
      i++;
      continue;
    }
    if (arg.startsWith("--env=")) {
      pushEnvName(arg.slice("--env=".length), envNames);
      continue;
    }
    if (arg.startsWith("-e") && !arg.startsWith("--") && arg.length > 2) {
      pushEnvName(arg.slice(2), envNames);
      continue;
    }
    if (DOCKER_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return imageName(arg);
  }
  return undefined;
}

function pushEnvName(assignment: string | undefined, envNames: string[]): void {
  if (assignment === undefined) return;
  const eq = assignment.indexOf("=");
  const name = eq >= 0 ? assignment.slice(0, eq) : assignment;
  if (isIdentifier(name)) envNames.push(name);
}

function isIdentifier(value: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && value.length <= 128;
}

const EXECUTABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;
const PYTHON_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;
const IMAGE_NAME = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$/;

/** `@scope/pkg@1.2` → `@scope/pkg`; `pkg@latest` → `pkg`; a URL, path or git spec → nothing. */
function npmName(spec: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  const name = at >= 0 ? spec.slice(0, at) : spec;
  return name.length <= 214 && NPM_NAME.test(name) ? name : undefined;
}

/** `pkg==1.0`, `pkg[extra]>=2`, `pkg@1.0` → `pkg`; a URL or path → nothing. */
function pythonName(spec: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  let end = spec.length;
  for (const stop of ["=", "<", ">", "!", "~", ";", "[", "@", " "]) {
    const at = spec.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  const name = spec.slice(0, end);
  return name.length <= 214 && PYTHON_NAME.test(name) ? name : undefined;
}

/** `ghcr.io/o/img:1.2@sha256:…` → `ghcr.io/o/img`; a registry port (`host:5000/img`) is kept. */
function imageName(ref: string): string | undefined {
  let name = ref;
  const digest = name.indexOf("@");
  if (digest >= 0) name = name.slice(0, digest);
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) name = name.slice(0, colon);
  return name.length <= 255 && IMAGE_NAME.test(name) ? name : undefined;
}

/** The last path segment, with either separator (a Windows path read on any OS). */
function fileName(command: string): string {
  const cut = Math.max(command.lastIndexOf("/"), command.lastIndexOf("\\"));
  return command.slice(cut + 1).trim();
}

function stripWindowsExtension(file: string): string {
  const dot = file.lastIndexOf(".");
  if (dot <= 0) return file;
  const ext = file.slice(dot).toLowerCase();
  return ext === ".exe" || ext === ".cmd" || ext === ".bat" || ext === ".ps1" ? file.slice(0, dot) : file;
}
