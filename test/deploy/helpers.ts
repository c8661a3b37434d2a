// Shared by the deployment tests.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ProcessResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs `command` in `cwd` with exactly `env`; bounded in time, killed by its own PID. Node's compile cache, when the
 * suite set one (vitest.config.ts), is the one variable added: it changes how fast Node starts, never what it does.
 */
export function runProcess(cwd: string, command: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ProcessResult> {
  const cache = process.env.NODE_COMPILE_CACHE;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cache && !('NODE_COMPILE_CACHE' in env) ? { ...env, NODE_COMPILE_CACHE: cache } : env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
