/**
 * Discord transport benchmarks (numbers, not a test):
 *
 *  1. Acknowledgement latency: INTERACTION_CREATE written by the emulator → the bot's defer
 *     callback arriving at the emulator (both stamps on the emulator's clock), p50/p99, with one
 *     command at a time and with bursts of 20 concurrent commands. Target p99 ≤ 100 ms.
 *  2. Resident memory of the bot process after ready and every 100 interactions up to N (default
 *     1,000), with a least-squares slope over the second half. Target ≤ 100 MiB, no growth trend.
 *
 * The bot is the real `node dist/src/main.js` in its own process (MONITORING=off, a throw-away
 * DATA_DIR, this machine's network read-only: the commands used are /nodes, /status and
 * /ssh-key), the emulator runs in this process on 127.0.0.1.
 *
 *   npm run bench:discord [-- --sequential 200 --bursts 30 --memory 1000 --monitoring]
 *   (BOT_NODE_OPTIONS / BOT_MALLOC_ARENA_MAX override the bot's runtime flags, '' for none)
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config';
import { deployCommands } from '../src/discord/deploy';
import { DiscordEmulator } from '../test/discord-emulator';
import { argOf, machineLine, ms, sleep, table } from './stats';

const TOKEN = 'bench.discord.token-' + 'b'.repeat(24);
const REPO = path.resolve(__dirname, '..', '..');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** user + system CPU time of a process, ms. */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ = 100 on Linux
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den ? num / den : 0;
}

async function main(argv: string[]): Promise<void> {
  const sequential = Number(argOf(argv, 'sequential') ?? 200);
  const bursts = Number(argOf(argv, 'bursts') ?? 30);
  const memoryN = Number(argOf(argv, 'memory') ?? 1000);
  console.log(machineLine());

  const emu = new DiscordEmulator({ token: TOKEN, heartbeatIntervalMs: 41250 });
  await emu.start();
  const member = emu.addMember({ username: 'bench' }).id;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-discord-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.homedir(),
    DATA_DIR: dir,
    DISCORD_TOKEN: TOKEN,
    DISCORD_API: emu.api,
    DISCORD_APP_ID: emu.applicationId,
    GUILD_ID: emu.guildId,
    // Monitoring has its own benchmark (bench/monitor-*); --monitoring includes its scheduler here too.
    MONITORING: argv.includes('--monitoring') ? 'on' : 'off',
    LOG_LEVEL: 'warn',
    PICLUSTER_ENV: path.join(dir, 'no.env'),
    // How the unit in deploy/picluster.service runs it; override with BOT_NODE_OPTIONS / BOT_MALLOC_ARENA_MAX.
    NODE_OPTIONS: process.env.BOT_NODE_OPTIONS ?? '--max-semi-space-size=1',
    MALLOC_ARENA_MAX: process.env.BOT_MALLOC_ARENA_MAX ?? '2',
    
  };
  await deployCommands(loadConfig(env));

  let bot: ChildProcess | undefined;
  try {
    bot = spawn(process.execPath, [path.join(REPO, 'dist', 'src', 'main.js')], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    bot.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await emu.waitForReady(30_000);
    await sleep(500);
    const rssReady = rssMiB(bot.pid!);

    // Cheap completion check (it runs in the emulator's process after every request, so it must not
    // skew the timestamps it records): an interaction is done when its reply was edited.
    const edited = new Set<string>();
    let seen = 0;
    const settle = (ids: string[]) => {
      const tokens = ids.map((id) => emu.interaction(id)!.token);
      return emu.waitFor(
        () => {
          for (; seen < emu.requests.length; seen++) {
            const r = emu.requests[seen];
            if (r.method === 'PATCH' && r.status !== undefined) edited.add(r.path.split('/')[3]);
            else if (r.status === undefined) break;
          }
          return tokens.every((t) => edited.has(t)) ? true : undefined;
        },
        60_000,
        'replies',
      );
    };
    const ack = (id: string) => emu.interaction(id)!.ackLatencyMs!;
    const names = (process.env.BENCH_COMMANDS ?? 'nodes,status,ssh-key').split(',');
    let k = 0;
    const fire = () => emu.dispatchSlashCommand({ user: member, name: names[k++ % names.length] }).id;

    // warm-up (JIT, connection pools)
    for (let i = 0; i < 20; i++) await settle([fire()]);

    const one: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const id = fire();
      await settle([id]);
      one.push(ack(id));
    }
    const twenty: number[] = [];
    for (let b = 0; b < bursts; b++) {
      const ids = Array.from({ length: 20 }, fire);
      await settle(ids);
      twenty.push(...ids.map(ack));
      await sleep(50);
    }
    console.log('\nAcknowledgement latency, INTERACTION_CREATE → defer callback (target p99 ≤ 100 ms)');
    console.log(
      table(
        ['concurrency', 'samples', 'p50', 'p90', 'p99', 'max'],
        [
          ['1', String(one.length), ms(pct(one, 50)), ms(pct(one, 90)), ms(pct(one, 99)), ms(Math.max(...one))],
          ['20', String(twenty.length), ms(pct(twenty, 50)), ms(pct(twenty, 90)), ms(pct(twenty, 99)), ms(Math.max(...twenty))],
        ],
      ),
    );

    // memory: a fresh count from here, in bursts of 10
    const samples: Array<[number, number]> = [[0, rssMiB(bot.pid!)]];
    const cpu0 = { bot: cpuMs(bot.pid!), here: process.cpuUsage() };
    for (let done = 0; done < memoryN; ) {
      const ids = Array.from({ length: 10 }, fire);
      await settle(ids);
      done += 10;
      if (done % 100 === 0) samples.push([done, rssMiB(bot.pid!)]);
    }
    const botCpu = (cpuMs(bot.pid!) - cpu0.bot) / memoryN;
    const hereCpu = process.cpuUsage(cpu0.here);
    const emuCpu = (hereCpu.user + hereCpu.system) / 1000 / memoryN;
    const half = Math.floor(samples.length / 2);
    const second = samples.slice(half);
    const perThousand = slope(second) * 1000;
    const mean = (xs: Array<[number, number]>) => xs.reduce((a, x) => a + x[1], 0) / xs.length;
    console.log(`\nResident memory of the bot (target ≤ 100 MiB, no growth trend); after ready: ${rssReady.toFixed(1)} MiB`);
    console.log(table(['interactions', 'RSS MiB'], samples.map(([n, m]) => [String(n), m.toFixed(1)])));
    console.log(
      `max ${Math.max(...samples.map((s) => s[1])).toFixed(1)} MiB; mean of the first half ${mean(samples.slice(0, half)).toFixed(1)} MiB, of the second half ${mean(second).toFixed(1)} MiB; ` +
        `slope over the second half: ${perThousand >= 0 ? '+' : ''}${perThousand.toFixed(2)} MiB per 1,000 interactions`,
    );
    console.log(`CPU per interaction (defer + run + result edit): bot ${botCpu.toFixed(2)} ms, emulator ${emuCpu.toFixed(2)} ms`);
    const asUnit = env.NODE_OPTIONS === '--max-semi-space-size=1' && env.MALLOC_ARENA_MAX === '2';
    console.log(`(bot run with NODE_OPTIONS="${env.NODE_OPTIONS}" MALLOC_ARENA_MAX="${env.MALLOC_ARENA_MAX}"${asUnit ? ', as deploy/picluster.service runs it' : ''})`);
    if (/ERROR/.test(stderr)) console.log(`\nbot errors:\n${stderr.split('\n').filter((l) => /ERROR/.test(l)).slice(0, 5).join('\n')}`);
  } finally {
    if (bot && bot.exitCode === null) {
      const exited = new Promise((r) => bot!.once('exit', r));
      bot.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
    }
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
