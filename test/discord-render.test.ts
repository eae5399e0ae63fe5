/**
 * Pure logic of the Discord transport: Discord's size limits (split, never cut), progress
 * throttling, permission decisions, slash command generation.
 */
import { commands } from '../commands';
import type { CommandResult } from '../src/commands/types';
import { loadConfig } from '../src/config';
import { LiveMessage } from '../src/discord/live';
import { authorize, type Caller } from '../src/discord/permissions';
import { embedTextLength, LIMITS, packEmbeds, progressEmbed, ProgressState, renderResultMessages, splitText } from '../src/discord/render';
import { alwaysMutates, commandLine, rawArgsFromOptions, slashCommands } from '../src/discord/slash';
import type { StepResult } from '../src/steps/step';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function checkMessageLimits(m: { embeds: any[]; files: unknown[] }): void {
  expect(m.embeds.length).toBeLessThanOrEqual(LIMITS.embedsPerMessage);
  expect(m.files.length).toBeLessThanOrEqual(LIMITS.filesPerMessage);
  expect(m.embeds.reduce((a, e) => a + embedTextLength(e), 0)).toBeLessThanOrEqual(LIMITS.messageEmbedText);
  for (const e of m.embeds) {
    expect((e.title ?? '').length).toBeLessThanOrEqual(LIMITS.title);
    expect((e.description ?? '').length).toBeLessThanOrEqual(LIMITS.description);
    expect((e.fields ?? []).length).toBeLessThanOrEqual(LIMITS.fields);
    for (const f of e.fields ?? []) {
      expect(f.name.length).toBeLessThanOrEqual(LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
  }
}

describe('splitText', () => {
  test('short text is one chunk; long text splits at lines; all content kept', () => {
    expect(splitText('abc', 10)).toEqual(['abc']);
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'y'.repeat(i % 50)}`);
    const chunks = splitText(lines.join('\n'), 1000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1000);
    expect(chunks.join('\n')).toBe(lines.join('\n'));
  });

  test('a code fence open at a split is closed and reopened', () => {
    const body = Array.from({ length: 200 }, (_, i) => `+added line ${i}`).join('\n');
    const chunks = splitText(`intro\n\`\`\`diff\n${body}\n\`\`\`\noutro`, 1024);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(1024);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(chunks[1].startsWith('```diff\n')).toBe(true);
    const joined = chunks.join('\n');
    for (let i = 0; i < 200; i++) expect(joined).toContain(`+added line ${i}\n`);
  });

  test('a single line longer than the limit is cut into pieces, not dropped', () => {
    const key = 'k'.repeat(10_000);
    const chunks = splitText(key, 4096);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4096);
    expect(chunks.join('').replace(/\n/g, '')).toBe(key);
  });
});

describe('renderResultMessages', () => {
  const step = (i: number, extra: Partial<StepResult> = {}): StepResult => ({ id: `s${i}`, title: `step ${i}`, where: 'manager', status: 'changed', summary: `did thing ${i}`, notes: [], durationMs: 12 + i, ...extra });

  test('every message respects every limit, whatever the size of the result', () => {
    for (const n of [1, 30, 300, 3000]) {
      const r: CommandResult = {
        ok: true,
        outcome: 'changed',
        title: 'big',
        summary: 's'.repeat(n),
        steps: Array.from({ length: Math.min(n, 400) }, (_, i) => step(i, { diff: `-a ${i}\n+b ${i}`, notes: [`note ${i}`] })),
        tables: [{ title: 't', columns: ['a', 'b'], rows: Array.from({ length: n }, (_, i) => [String(i), 'v'.repeat(i % 90)]) }],
        sections: [{ title: 'sec', body: 'x\n'.repeat(n) }],
      };
      const msgs = renderResultMessages(r, { label: 'big', footer: 'me · 1 s' });
      expect(msgs.length).toBeLessThanOrEqual(4);
      msgs.forEach(checkMessageLimits);
      if (n >= 300) expect(msgs[0].files[0].name).toBe('big.txt');
    }
  });

  test('up to four messages: the text is complete across them (every step line present)', () => {
    const r: CommandResult = { ok: true, outcome: 'changed', title: 'mid', summary: 'ok', steps: Array.from({ length: 200 }, (_, i) => step(i)) };
    const msgs = renderResultMessages(r);
    expect(msgs.length).toBeGreaterThan(1);
    expect(msgs.length).toBeLessThanOrEqual(4);
    const text = msgs.flatMap((m) => m.embeds.map((e) => e.description ?? '')).join('\n');
    for (let i = 0; i < 200; i++) expect(text).toContain(`**step ${i}** — changed: did thing ${i} · ${12 + i} ms`);
    expect(msgs.flatMap((m) => m.files)).toEqual([]);
  });

  test('files ride on the first message; sections duplicating a file are not repeated; images are shown', () => {
    const r: CommandResult = {
      ok: true,
      outcome: 'info',
      title: 'files',
      summary: 'here',
      files: [{ name: 'a.txt', content: 'A' }, { name: 'chart.png', content: Buffer.from([137, 80]), contentType: 'image/png' }],
      sections: [{ title: 'a.txt', body: 'A' }, { title: 'other', body: 'B' }],
    };
    const [m] = renderResultMessages(r);
    expect(m.files.map((f) => f.name)).toEqual(['a.txt', 'chart.png']);
    expect(m.embeds.map((e) => e.title)).toEqual(['files', 'other']);
    expect(m.embeds[0].image).toEqual({ url: 'attachment://chart.png' });
    expect(m.embeds[1].description).toBe('B');
  });

  test('packEmbeds never exceeds 10 embeds or 6000 characters per message', () => {
    const embeds = Array.from({ length: 37 }, (_, i) => ({ title: `e${i}`, description: 'd'.repeat(900 + i * 10) }));
    const packed = packEmbeds(embeds);
    expect(packed.flat()).toEqual(embeds);
    for (const b of packed) checkMessageLimits({ embeds: b, files: [] });
  });

  test('progress view: one line per step; a huge plan is shortened and says so', () => {
    const st = new ProgressState();
    st.apply({ type: 'plan', dryRun: false, steps: Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, title: `step number ${i} with a long title`, where: 'manager' as const })) });
    st.apply({ type: 'step-start', id: 's0', title: 'step number 0' });
    const e = progressEmbed(st, 'x');
    expect(e.description!.length).toBeLessThanOrEqual(LIMITS.description);
    expect(e.description).toMatch(/^… \d+ earlier line\(s\) not shown here; the final result lists every step\./);
    expect(e.title).toBe('Running x — 0/400 steps');
  });
});

describe('LiveMessage', () => {
  test('coalesces a burst into few edits, spaced by the interval, final state last', async () => {
    const sent: Array<{ v: number; at: number }> = [];
    const live = new LiveMessage<number>(async (v) => {
      sent.push({ v, at: performance.now() });
      await sleep(5);
    }, 100);
    let v = 0;
    for (let i = 0; i < 50; i++) {
      v = i;
      live.update(() => v);
      await sleep(6);
    }
    await live.finish(999);
    expect(sent.length).toBeLessThan(10);
    expect(sent.at(-1)!.v).toBe(999);
    for (let k = 1; k < sent.length; k++) expect(sent[k].at - sent[k - 1].at).toBeGreaterThanOrEqual(100);
    // the last progress edit showed a late state, not a stale one
    expect(sent.at(-2)!.v).toBeGreaterThan(30);
    live.update(() => -1);
    await sleep(150);
    expect(sent.at(-1)!.v).toBe(999);
  });
});

describe('permissions', () => {
  const cfg = loadConfig({ OPERATOR_ROLE_IDS: '111111,222222', ALLOWED_CHANNEL_IDS: '900000', GUILD_ID: '500000', MONITORING: 'off' }).discord;
  const caller = (p: Partial<Caller>): Caller => ({ userId: '1', guildId: '500000', channelId: '900000', roleIds: [], isAdmin: false, ...p });

  test('read-only for members in allowed channels; changes for operators and admins only', () => {
    expect(authorize(cfg, caller({}), false, 'status')).toEqual({ allowed: true });
    expect(authorize(cfg, caller({}), true, 'add-node')).toMatchObject({ allowed: false, reason: expect.stringMatching(/needs the <@&111111> or <@&222222> role or Administrator/) });
    expect(authorize(cfg, caller({ roleIds: ['222222'] }), true, 'add-node')).toEqual({ allowed: true });
    expect(authorize(cfg, caller({ isAdmin: true }), true, 'add-node')).toEqual({ allowed: true });
  });

  test('other channels, other servers and DMs are refused', () => {
    expect(authorize(cfg, caller({ channelId: '900001' }), false, 'status')).toMatchObject({ allowed: false, reason: 'picluster answers in <#900000> only.' });
    expect(authorize(cfg, caller({ guildId: '500001', isAdmin: true }), false, 'status')).toMatchObject({ allowed: false });
    expect(authorize(cfg, caller({ guildId: null }), false, 'status')).toMatchObject({ allowed: false, reason: expect.stringMatching(/direct messages/) });
    const open = loadConfig({ MONITORING: 'off' }).discord;
    expect(authorize(open, caller({ channelId: '42424242' }), false, 'status')).toEqual({ allowed: true });
    expect(authorize(open, caller({}), true, 'nat')).toMatchObject({ allowed: false, reason: expect.stringMatching(/needs an operator role or Administrator/) });
  });
});

describe('slash commands from the definitions', () => {
  const settings = loadConfig({ MONITORING: 'off' }).cluster;
  const json = slashCommands(commands, settings);

  test('one per command, within Discord limits, mutating-only ones hidden behind Manage Server', () => {
    expect(json.map((c) => c.name)).toEqual(commands.map((c) => c.name));
    for (const c of json) {
      expect(c.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect((c.options ?? []).length).toBeLessThanOrEqual(25);
    }
    const hidden = json.filter((c) => c.default_member_permissions === '32').map((c) => c.name).sort();
    expect(hidden).toEqual(commands.filter(alwaysMutates).map((c) => c.name).sort());
    expect(hidden).toEqual(expect.arrayContaining(['add-node', 'remove-node', 'set-time', 'trust-host', 'mute', 'unmute']));
    expect(hidden).not.toContain('nat');
    expect(hidden).not.toContain('status');
    // CLI-only options are not offered
    expect(json.find((c) => c.name === 'history')!.options!.map((o) => o.name)).toEqual(['node', 'window']);
  });

  test('interaction options map back to the CLI argument names', () => {
    const route = commands.find((c) => c.name === 'route')!;
    const raw = rawArgsFromOptions(route, [{ name: 'set', type: 1, options: [{ name: 'node', type: 4, value: 3 }, { name: 'dry-run', type: 5, value: true }] }]);
    expect(raw).toEqual({ action: 'set', node: 3, 'dry-run': true });
    expect(commandLine(route, { node: 3, action: 'set', 'dry-run': true })).toBe('route 3 set --dry-run');
  });
});
