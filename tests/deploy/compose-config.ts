/**
 * The compose tool's own view of docker-compose.yml: `docker-compose config`
 * validates the file against the Compose schema and interpolates the settings,
 * without a Docker engine. Its YAML output is read with the YAML library the
 * tool itself runs on (Python's, a dependency of Debian's docker-compose).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = join(import.meta.dirname, '../..');

export interface ComposeService {
  image?: string;
  user?: string;
  build?: { context: string };
  restart?: string;
  environment?: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  ports?: Array<{ published: number | string; target: number; protocol?: string }>;
  expose?: string[];
  network_mode?: string;
  networks?: string[] | Record<string, unknown>;
  volumes?: string[];
  tmpfs?: string[];
  healthcheck?: { test: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

export interface ComposeNetwork {
  ipam?: { config?: Array<{ subnet?: string }> };
  internal?: boolean;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork | null>;
  volumes?: Record<string, unknown>;
}

/** The networks a service is on; the compose tool lists none for a service on the default network alone. */
export function networksOf(service: ComposeService): string[] {
  if (service.networks === undefined) return ['default'];
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks);
}

/** The settings .env.example documents, as a person fills them in (comments kept, values replaced). */
export async function envExampleWith(values: Record<string, string>): Promise<string> {
  let text = await readFile(join(REPO, '.env.example'), 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^#?${name}=.*$`, 'm');
    text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}\n${name}=${value}\n`;
  }
  return text;
}

/** Runs `docker-compose config` on the repo's compose file with `envFile` as .env; rejects with the tool's message. */
export async function composeConfig(envFile: string): Promise<ComposeConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-compose-'));
  try {
    await writeFile(join(dir, '.env'), envFile);
    // Only the env file counts: nothing from this shell's environment, nor a .env of the checkout.
    const env = { PATH: process.env.PATH ?? '', HOME: dir };
    const args = ['--project-directory', REPO, '-f', join(REPO, 'docker-compose.yml'), '--env-file', join(dir, '.env')];
    // `config` validates (what `config -q` does) and prints the result.
    const { stdout } = await run('docker-compose', [...args, 'config'], { env });
    await writeFile(join(dir, 'config.yml'), stdout);
    const { stdout: json } = await run('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', join(dir, 'config.yml')]);
    return JSON.parse(json) as ComposeConfig;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(stderr?.trim() || message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
