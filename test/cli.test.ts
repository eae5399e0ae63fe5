import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commands } from '../commands';
import { runLocal } from '../src/exec/local';

const CLI = path.join(__dirname, '..', 'src', 'cli.js');

describe('the picluster CLI (no network involved)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-cli-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const run = (args: string[], env: Record<string, string> = {}) => runLocal([process.execPath, CLI, ...args], { env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env } });

  test('--help lists every command; every command has its own --help', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toContain(c.name);
    const helps = await Promise.all(commands.map((c) => run([c.name, '--help'])));
    helps.forEach((h, i) => {
      expect([commands[i].name, h.code]).toEqual([commands[i].name, 0]);
      expect(h.stdout).toMatch(new RegExp(`^Usage: picluster ${commands[i].name}`));
    });
  });

  test('configuration problems are all reported at once, with the variable names, and nothing runs', async () => {
    const r = await run(['nodes'], { SUBNET_OFFSET: 'ten', MAC_PREFIX: 'zz:zz', WORKER_SSH_USER: 'root;reboot' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SUBNET_OFFSET/);
    expect(r.stderr).toMatch(/MAC_PREFIX/);
    expect(r.stderr).toMatch(/WORKER_SSH_USER/);
    expect(r.stderr).toMatch(/See \.env\.example/);
    expect(fs.existsSync(path.join(dataDir, 'picluster.db'))).toBe(false);
  });

  test('ssh-key creates the bot key once (mode 0600) and prints it; --json works', async () => {
    const a = await run(['ssh-key', '--json']);
    const b = await run(['ssh-key']);
    const j = JSON.parse(a.stdout);
    expect(j.data.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ picluster$/);
    expect(b.stdout).toContain(j.data.publicKey);
    expect(fs.statSync(path.join(dataDir, 'id_ed25519')).mode & 0o777).toBe(0o600);
    expect(j.data.fingerprint).toMatch(/^SHA256:/);
  });

  test('audit records who ran what', async () => {
    const r = await run(['audit', '--json']);
    const rows = JSON.parse(r.stdout).data;
    expect(rows[0]).toMatchObject({ command: 'ssh-key', transport: 'cli', outcome: 'info' });
    expect(rows[0].actor).toMatch(/^cli:/);
  });
});
