/**
 * The Docker Compose example of README "Scaling out" stays true to the CLI: its worker and build
 * commands use only flags those commands take, and its Dockerfile copies files that exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, 'examples/scaling-out');
const compose = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as { services: Record<string, { command: string[] }> };

describe('the scaling-out example', () => {
  it.each(['worker', 'build'])('the %s service runs `citybrief` with flags it takes', async (service) => {
    const command = compose.services[service]!.command;
    expect(command[0]).toBe(service);
    expect(command).toContain('--redis');
    let err = '';
    // --help after the flags: they are parsed (an unknown one is exit 2) and nothing runs.
    const code = await main([...command, '--help'], { out: () => {}, err: (t) => (err += t) });
    expect({ code, err }).toEqual({ code: 0, err: '' });
  });

  it('the Dockerfile copies only what the repository has', () => {
    const copies = [...readFileSync(path.join(dir, 'Dockerfile'), 'utf8').matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copies.length).toBeGreaterThan(3);
    for (const file of copies) expect(existsSync(path.join(root, file)), file).toBe(true);
  });
});
