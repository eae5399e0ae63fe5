/**
 * Proves the loopback Discord emulator against the real discord.js 14 client: gateway login,
 * interactions (slash, autocomplete, buttons, modals), responses, uploads, command registration,
 * gateway resume and connection loss.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  MessageFlags,
  ModalBuilder,
  StringSelectMenuBuilder,
  PermissionFlagsBits,
  REST,
  Routes,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { WebSocket } from 'ws';
import { DiscordEmulator, Perm } from './discord-emulator';

const TOKEN = 'emulator.test.token';

/** A discord.js client wired to the emulator; identify throttling is disabled so re-identifies are instant. */
function makeClient(emu: DiscordEmulator, intents: GatewayIntentBits[] = [GatewayIntentBits.Guilds]): Client {
  return new Client({
    intents,
    rest: { api: emu.api, retries: 2, timeout: 5000 },
    ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => undefined }) },
    waitGuildTimeout: 2000,
  });
}

async function login(client: Client): Promise<void> {
  const ready = once(client, Events.ClientReady);
  await client.login(TOKEN);
  await ready;
}

const commandDefs = [
  new SlashCommandBuilder()
    .setName('status')
    .setDescription('Node status')
    .addStringOption((o) => o.setName('node').setDescription('node name').setRequired(true).setAutocomplete(true))
    .addIntegerOption((o) => o.setName('count').setDescription('samples').setMinValue(1).setMaxValue(10))
    .addBooleanOption((o) => o.setName('verbose').setDescription('more output')),
  new SlashCommandBuilder().setName('panel').setDescription('Control panel'),
  new SlashCommandBuilder().setName('announce').setDescription('Reply then follow up'),
  new SlashCommandBuilder().setName('slow').setDescription('Defer then follow up'),
  new SlashCommandBuilder().setName('ping').setDescription('with_response reply'),
  new SlashCommandBuilder().setName('long').setDescription('Replies with an over-long message'),
  new SlashCommandBuilder().setName('feedback').setDescription('Shows a modal'),
  new SlashCommandBuilder().setName('sleepy').setDescription('Acks after 150 ms'),
  new SlashCommandBuilder()
    .setName('cluster')
    .setDescription('Cluster admin')
    .addSubcommandGroup((g) =>
      g
        .setName('node')
        .setDescription('node ops')
        .addSubcommand((s) =>
          s
            .setName('reboot')
            .setDescription('reboot a node')
            .addStringOption((o) => o.setName('name').setDescription('node').setRequired(true).addChoices({ name: 'pi1', value: 'pi1' }, { name: 'pi2', value: 'pi2' }))
            .addUserOption((o) => o.setName('requester').setDescription('on behalf of')),
        ),
    ),
].map((b) => b.toJSON());

const NODES = ['pi1', 'pi2', 'pi3', 'router'];

/** The tiny in-test bot. */
function attachBot(client: Client): void {
  client.on(Events.InteractionCreate, (i: Interaction) => {
    void (async () => {
      if (i.isAutocomplete()) {
        const typed = String(i.options.getFocused());
        await i.respond(NODES.filter((n) => n.startsWith(typed)).map((n) => ({ name: n, value: n })));
        return;
      }
      if (i.isButton()) {
        if (i.customId === 'reboot:pi1') await i.update({ content: 'rebooting pi1', embeds: [], components: [] });
        else await i.deferUpdate();
        return;
      }
      if (i.isStringSelectMenu()) {
        await i.update({ content: `selected ${i.values.join(',')}`, components: [] });
        return;
      }
      if (i.isModalSubmit()) {
        await i.reply({ content: `thanks: ${i.fields.getTextInputValue('text')}`, flags: MessageFlags.Ephemeral });
        return;
      }
      if (!i.isChatInputCommand()) return;
      switch (i.commandName) {
        case 'status': {
          const node = i.options.getString('node', true);
          const count = i.options.getInteger('count') ?? 1;
          const verbose = i.options.getBoolean('verbose') ?? false;
          await i.deferReply();
          await i.editReply(`checking ${node}...`);
          await i.editReply({
            content: `${node}: ok (count=${count}, verbose=${verbose})`,
            embeds: [new EmbedBuilder().setTitle(`${node} status`).addFields({ name: 'load', value: '0.42' })],
          });
          return;
        }
        case 'panel': {
          const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
            new ButtonBuilder().setCustomId('reboot:pi1').setLabel('Reboot pi1').setStyle(ButtonStyle.Danger),
            new ButtonBuilder().setCustomId('cancel').setLabel('Cancel').setStyle(ButtonStyle.Secondary),
          );
          const select = new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
            new StringSelectMenuBuilder()
              .setCustomId('nodes')
              .setMinValues(1)
              .setMaxValues(2)
              .addOptions(NODES.map((n) => ({ label: n, value: n }))),
          );
          await i.reply({ embeds: [new EmbedBuilder().setTitle('Cluster').setDescription('4 nodes up').setColor(0x00ff00)], components: [row, select] });
          return;
        }
        case 'announce':
          await i.reply('announced');
          await i.followUp({ content: 'follow', flags: MessageFlags.Ephemeral });
          return;
        case 'slow':
          await i.deferReply();
          await i.followUp('done after a while');
          return;
        case 'ping': {
          const res = await i.reply({ content: 'pong', withResponse: true });
          await i.editReply(`pong ${res.resource?.message?.id} loading=${res.interaction.responseMessageLoading}`);
          return;
        }
        case 'long':
          try {
            await i.reply('x'.repeat(2001));
          } catch (e) {
            await i.reply(`rejected ${(e as DiscordAPIError).code}`);
          }
          try {
            await i.client.rest.post(Routes.interactionCallback(i.id, i.token), { body: { type: 4, data: { content: 'again' } }, auth: false });
          } catch (e) {
            await i.followUp(`second ack rejected ${(e as DiscordAPIError).code}`);
          }
          return;
        case 'sleepy':
          await new Promise((r) => setTimeout(r, 150));
          await i.reply('too late?').catch(() => undefined);
          return;
        case 'feedback':
          await i.showModal(
            new ModalBuilder()
              .setCustomId('fb')
              .setTitle('Feedback')
              .addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(new TextInputBuilder().setCustomId('text').setLabel('Text').setStyle(TextInputStyle.Short))),
          );
          return;
        case 'cluster': {
          const requester = i.options.getMember('requester');
          const roles = requester && 'roles' in requester && !Array.isArray(requester.roles) ? [...requester.roles.cache.values()].map((r) => r.name).sort() : [];
          await i.reply(
            [
              `${i.options.getSubcommandGroup()}/${i.options.getSubcommand()} ${i.options.getString('name', true)}`,
              `by=${i.user.username} manageGuild=${i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)}`,
              `app=${i.appPermissions.has(PermissionFlagsBits.SendMessages)}`,
              `requester=${i.options.getUser('requester')?.username ?? '-'} roles=${roles.join(',')}`,
            ].join(' '),
          );
          return;
        }
      }
    })().catch((e) => console.error('test bot handler failed', e));
  });
}

describe('discord emulator with real discord.js', () => {
  let emu: DiscordEmulator;
  let client: Client;
  let operatorsRoleId: string;
  const alice = '1300000000000001001';
  const bob = '1300000000000001002';

  beforeAll(async () => {
    emu = new DiscordEmulator({ token: TOKEN, heartbeatIntervalMs: 400 });
    await emu.start();
    operatorsRoleId = emu.addRole({ name: 'Operators', permissions: (Perm.ManageGuild | Perm.KickMembers).toString() }).id;
    emu.addMember({ id: alice, username: 'alice', roles: [operatorsRoleId] });
    emu.addMember({ id: bob, username: 'bob' });
    await new REST({ version: '10', api: emu.api }).setToken(TOKEN).put(Routes.applicationGuildCommands(emu.applicationId, emu.guildId), { body: commandDefs });
    client = makeClient(emu);
    attachBot(client);
    await login(client);
  });

  afterAll(async () => {
    await client?.destroy();
    await emu?.stop();
  });

  test('login: READY + GUILD_CREATE populate the client cache; heartbeats are acked', async () => {
    expect(client.user?.id).toBe(emu.botUserId);
    expect(client.application?.id).toBe(emu.applicationId);
    const guild = client.guilds.cache.get(emu.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.roles.cache.get(operatorsRoleId)?.name).toBe('Operators');
    expect(guild?.roles.everyone.id).toBe(emu.guildId);
    expect(guild?.channels.cache.get(emu.defaultChannelId)?.name).toBe('general');
    // Guilds intent only: like Discord, GUILD_CREATE carries just the bot's own member
    expect(guild?.members.me?.id).toBe(emu.botUserId);
    expect(guild?.members.cache.has(alice)).toBe(false);
    expect(guild?.members.me?.permissions.has(PermissionFlagsBits.SendMessages)).toBe(true);

    expect(emu.identifyCount).toBe(1);
    expect(emu.identifies[0].intents).toBe(GatewayIntentBits.Guilds);
    expect(emu.gatewayConnects[0].query).toMatchObject({ v: '10', encoding: 'json' });
    const gw = emu.requests.find((r) => r.path === '/gateway/bot');
    expect(gw?.authorized).toBe(true);
    // the token is checked but never stored
    expect(JSON.stringify(emu.requests)).not.toContain(TOKEN);
    expect(JSON.stringify(emu.identifies)).not.toContain(TOKEN);

    await emu.waitFor(() => emu.heartbeatCount >= 2, 3000, 'two heartbeats');
    await emu.waitFor(() => client.ws.ping >= 0, 3000, 'client ping');
  });

  test('GUILD_MEMBERS intent: GUILD_CREATE carries every member', async () => {
    const emu2 = new DiscordEmulator({ token: TOKEN });
    await emu2.start();
    emu2.addMember({ id: alice, username: 'alice' });
    const c2 = makeClient(emu2, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers]);
    try {
      await login(c2);
      const members = c2.guilds.cache.get(emu2.guildId)!.members.cache;
      expect([...members.keys()].sort()).toEqual([emu2.applicationId, emu2.ownerId, alice].sort());
      // live model changes become gateway events
      const added = once(c2, Events.GuildMemberAdd);
      emu2.addMember({ id: bob, username: 'bob' });
      const [member] = await added;
      expect(member.user.username).toBe('bob');
    } finally {
      await c2.destroy();
      await emu2.stop();
    }
  });

  test('slash command → deferReply + two editReply: edits recorded in order, final original', async () => {
    const { id, sentAt } = emu.dispatchSlashCommand({ user: alice, name: 'status', options: { node: 'pi1', count: 3, verbose: true } });
    const rec = await emu.waitFor(() => {
      const r = emu.interaction(id)!;
      return r.edits.length === 2 ? r : undefined;
    });
    expect(rec.callbacks.map((c) => [c.type, c.status])).toEqual([[5, 204]]);
    expect(rec.callbacks[0].at).toBeGreaterThan(sentAt);
    expect(rec.ackLatencyMs).toBeGreaterThan(0);
    expect(rec.originalHistory[0].flags & MessageFlags.Loading).toBe(MessageFlags.Loading);
    expect(rec.edits.map((e) => e.content)).toEqual(['checking pi1...', 'pi1: ok (count=3, verbose=true)']);
    expect(rec.edits[0].embeds).toEqual([]);
    expect(rec.edits[1].embeds[0]).toMatchObject({ title: 'pi1 status', fields: [{ name: 'load', value: '0.42' }] });
    const original = emu.original(id)!;
    expect(original.content).toBe('pi1: ok (count=3, verbose=true)');
    expect(original.flags & MessageFlags.Loading).toBe(0);
    expect(original.id).toBe(rec.originalMessageId);
    // options went out typed as Discord sends them
    expect(rec.payload.data.options).toEqual([
      { name: 'node', type: 3, value: 'pi1' },
      { name: 'count', type: 4, value: 3 },
      { name: 'verbose', type: 5, value: true },
    ]);
    expect(rec.payload.member.permissions).toBe(emu.computePermissions(alice).toString());
  });

  test('reply with embed + buttons, then a button click → interaction.update', async () => {
    const panel = emu.dispatchSlashCommand({ user: alice, name: 'panel' });
    const msg = await emu.waitFor(() => emu.original(panel.id));
    expect(msg.embeds[0]).toMatchObject({ title: 'Cluster', description: '4 nodes up', color: 0x00ff00 });
    expect(msg.components[0].components.map((c: { custom_id: string }) => c.custom_id)).toEqual(['reboot:pi1', 'cancel']);
    expect(() => emu.dispatchSelect({ user: bob, messageId: msg.id, customId: 'nodes', values: ['pi7'] })).toThrow(/no option/);
    expect(() => emu.dispatchButton({ user: bob, messageId: msg.id, customId: 'nope' })).toThrow(/no component/);

    const click = emu.dispatchButton({ user: bob, messageId: msg.id, customId: 'reboot:pi1' });
    const cb = await emu.waitForCallback(click.id);
    expect(cb.type).toBe(7);
    const rec = emu.interaction(click.id)!;
    expect(rec.payload.message.id).toBe(msg.id);
    expect(rec.originalMessageId).toBe(msg.id);
    const after = emu.message(msg.id)!;
    expect(after.content).toBe('rebooting pi1');
    expect(after.components).toEqual([]);
    expect(after.embeds).toEqual([]);
    expect(emu.original(panel.id)!.content).toBe('rebooting pi1');
    // the buttons are gone now, so they can no longer be clicked
    expect(() => emu.dispatchButton({ user: bob, messageId: msg.id, customId: 'reboot:pi1' })).toThrow(/no component/);

    const panel2 = emu.dispatchSlashCommand({ user: alice, name: 'panel' });
    const msg2 = await emu.waitFor(() => emu.original(panel2.id));
    const pick = emu.dispatchSelect({ user: alice, messageId: msg2.id, customId: 'nodes', values: ['pi1', 'pi3'] });
    await emu.waitForCallback(pick.id);
    expect(emu.interaction(pick.id)!.payload.data).toEqual({ custom_id: 'nodes', component_type: 3, values: ['pi1', 'pi3'] });
    expect(emu.message(msg2.id)!.content).toBe('selected pi1,pi3');
  });

  test('ackDeadlineMs: a callback later than the deadline gets 404 Unknown interaction (10062)', async () => {
    emu.ackDeadlineMs = 50;
    try {
      const r = emu.dispatchSlashCommand({ user: bob, name: 'sleepy' });
      const cb = await emu.waitFor(() => emu.interaction(r.id)!.callbacks[0]);
      expect(cb.status).toBe(404);
      expect(cb.error.code).toBe(10062);
      expect(cb.at - r.sentAt).toBeGreaterThan(50);
      expect(emu.interaction(r.id)!.ackLatencyMs).toBeNull();
      expect(emu.original(r.id)).toBeNull();
    } finally {
      emu.ackDeadlineMs = undefined;
    }
  });

  test('autocomplete: focused option is a string, respond() choices recorded', async () => {
    const ac = emu.dispatchAutocomplete({ user: bob, name: 'status', options: { node: 'pi', count: 2 }, focused: 'node' });
    await emu.waitForCallback(ac.id);
    const rec = emu.interaction(ac.id)!;
    expect(rec.payload.data.options).toEqual([
      { name: 'node', type: 3, value: 'pi', focused: true },
      { name: 'count', type: 4, value: 2 },
    ]);
    expect(rec.callbacks[0].type).toBe(8);
    expect(rec.autocompleteChoices).toEqual(['pi1', 'pi2', 'pi3'].map((n) => ({ name: n, value: n })));
  });

  test('followUp after reply is a new message; after deferReply it replaces the thinking message', async () => {
    const a = emu.dispatchSlashCommand({ user: bob, name: 'announce' });
    const rec = await emu.waitFor(() => {
      const r = emu.interaction(a.id)!;
      return r.followUps.length === 1 ? r : undefined;
    });
    expect(rec.original?.content).toBe('announced');
    expect(rec.followUps[0].content).toBe('follow');
    expect(rec.followUps[0].flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(rec.followUps[0].id).not.toBe(rec.originalMessageId);

    const s = emu.dispatchSlashCommand({ user: bob, name: 'slow' });
    const slow = await emu.waitFor(() => {
      const r = emu.interaction(s.id)!;
      return r.followUps.length === 1 ? r : undefined;
    });
    expect(slow.followUps[0].id).toBe(slow.originalMessageId);
    expect(slow.original?.content).toBe('done after a while');
    expect(slow.original!.flags & MessageFlags.Loading).toBe(0);
  });

  test('with_response=true returns the callback response with the message', async () => {
    const p = emu.dispatchSlashCommand({ user: bob, name: 'ping' });
    const rec = await emu.waitFor(() => {
      const r = emu.interaction(p.id)!;
      return r.edits.length === 1 ? r : undefined;
    });
    expect(rec.callbacks[0]).toMatchObject({ type: 4, withResponse: true, status: 200 });
    expect(rec.original?.content).toBe(`pong ${rec.originalMessageId} loading=false`);
  });

  test('subcommand group nesting, choices, user option with resolved member and permissions', async () => {
    const r = emu.dispatchSlashCommand({ user: alice, name: 'cluster', subcommandGroup: 'node', subcommand: 'reboot', options: { name: 'pi2', requester: bob } });
    const payload = emu.interaction(r.id)!.payload;
    expect(payload.data.options).toEqual([
      { name: 'node', type: 2, options: [{ name: 'reboot', type: 1, options: [{ name: 'name', type: 3, value: 'pi2' }, { name: 'requester', type: 6, value: bob }] }] },
    ]);
    expect(payload.data.resolved.users[bob].username).toBe('bob');
    const msg = await emu.waitFor(() => emu.original(r.id));
    expect(msg.content).toBe('node/reboot pi2 by=alice manageGuild=true app=true requester=bob roles=@everyone');
    // the emulator refuses what the Discord client could not send
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'cluster', subcommandGroup: 'node', subcommand: 'reboot', options: { name: 'pi9' } })).toThrow(/choices/);
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'status', options: {} })).toThrow(/required/);
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'status', options: { node: 'pi1', count: 11 } })).toThrow(/max_value/);
  });

  test('Discord-like rejections: over-long content (50035) and a second ack (40060)', async () => {
    const r = emu.dispatchSlashCommand({ user: bob, name: 'long' });
    const rec = await emu.waitFor(() => {
      const x = emu.interaction(r.id)!;
      return x.followUps.length === 1 ? x : undefined;
    });
    expect(rec.callbacks.map((c) => c.status)).toEqual([400, 204, 400]);
    expect(rec.callbacks[0].error.code).toBe(50035);
    expect(rec.callbacks[0].error.errors.data.content._errors[0].code).toBe('BASE_TYPE_MAX_LENGTH');
    expect(rec.original?.content).toBe('rejected 50035');
    expect(rec.followUps[0].content).toBe('second ack rejected 40060');
  });

  test('modal: showModal recorded, submit reaches the bot with the field values', async () => {
    const f = emu.dispatchSlashCommand({ user: bob, name: 'feedback' });
    await emu.waitForCallback(f.id);
    expect(emu.interaction(f.id)!.modal).toMatchObject({ custom_id: 'fb', title: 'Feedback' });
    const submit = emu.dispatchModalSubmit({ user: bob, fromInteraction: f.id, fields: { text: 'more pis' } });
    const msg = await emu.waitFor(() => emu.original(submit.id));
    expect(msg.content).toBe('thanks: more pis');
    expect(msg.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  });

  test('channel.send with an embed and a file attachment: bytes arrive intact', async () => {
    const channel = client.channels.cache.get(emu.defaultChannelId) as TextChannel;
    const bytes = randomBytes(64 * 1024); // binary, includes CRLF and "--" sequences sooner or later
    const sent = await channel.send({
      content: 'nightly report',
      embeds: [new EmbedBuilder().setTitle('Report').setDescription('all green')],
      files: [new AttachmentBuilder(bytes, { name: 'report.bin' }), new AttachmentBuilder(Buffer.from('hello\n'), { name: 'notes.txt' })],
    });
    const req = await emu.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${emu.defaultChannelId}/messages` && r.files.length > 0);
    expect(req.files.map((f) => [f.name, f.filename])).toEqual([
      ['files[0]', 'report.bin'],
      ['files[1]', 'notes.txt'],
    ]);
    expect(req.files[0].data.equals(bytes)).toBe(true);
    expect(req.body.content).toBe('nightly report');
    const stored = emu.channelMessages(emu.defaultChannelId).find((m) => m.id === sent.id)!;
    expect(stored.embeds[0]).toMatchObject({ title: 'Report', description: 'all green' });
    expect(stored.attachments.map((a) => a.filename)).toEqual(['report.bin', 'notes.txt']);
    expect(stored.attachments[0].data.equals(bytes)).toBe(true);
    expect(stored.attachments[1].data.toString()).toBe('hello\n');
    // @discordjs/rest only sniffs magic bytes, so text goes out as octet-stream; Discord (and the emulator) fall back to the extension
    expect(req.files[1].contentType).toBe('application/octet-stream');
    expect(stored.attachments[1].contentType).toMatch(/^text\/plain/);
    // discord.js sees attachment metadata and the URL serves the bytes
    const att = sent.attachments.find((a) => a.name === 'report.bin')!;
    expect(att.size).toBe(bytes.length);
    const fetched = Buffer.from(await (await fetch(att.url)).arrayBuffer());
    expect(fetched.equals(bytes)).toBe(true);
  });

  test('REST command registration: PUT bulk overwrite keeps ids by name, GET lists, bad token → 401', async () => {
    const rest = new REST({ version: '10', api: emu.api }).setToken(TOKEN);
    const route = Routes.applicationGuildCommands(emu.applicationId, emu.guildId);
    const before = (await rest.get(route)) as Array<{ id: string; name: string }>;
    expect(before.map((c) => c.name)).toEqual(commandDefs.map((c) => c.name));
    const put = (await rest.put(route, { body: [...commandDefs, { name: 'extra', description: 'one more' }] })) as Array<{ id: string; name: string; guild_id: string }>;
    expect(put).toHaveLength(commandDefs.length + 1);
    expect(put.find((c) => c.name === 'status')!.id).toBe(before.find((c) => c.name === 'status')!.id);
    expect(put.every((c) => c.guild_id === emu.guildId && /^\d{17,20}$/.test(c.id))).toBe(true);
    const after = (await rest.get(route)) as Array<{ name: string }>;
    expect(after.map((c) => c.name)).toContain('extra');
    expect(emu.commands(emu.guildId)).toHaveLength(commandDefs.length + 1);
    // global commands are a separate list
    await rest.put(Routes.applicationCommands(emu.applicationId), { body: [{ name: 'global-one', description: 'g' }] });
    expect(emu.commands().map((c) => c.name)).toEqual(['global-one']);
    // invalid definitions are rejected like Discord does
    await expect(rest.put(route, { body: [{ name: 'Bad Name', description: 'x' }] })).rejects.toMatchObject({ code: 50035, status: 400 });
    await expect(new REST({ version: '10', api: emu.api, retries: 0 }).setToken('wrong').get(route)).rejects.toMatchObject({ status: 401 });
    // restore the bot's command set
    await rest.put(route, { body: commandDefs });
  });

  test('unknown routes answer 404 {message, code: 0} and are recorded', async () => {
    const res = await fetch(`${emu.api}/v10/definitely/not/a/route`, { headers: { authorization: `Bot ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: '404: Not Found', code: 0 });
    const rec = emu.requests.find((r) => r.path === '/definitely/not/a/route')!;
    expect(rec).toMatchObject({ method: 'GET', route: null, status: 404, hasAuthorization: true, authorized: true });
  });

  test('dropGateway: client resumes on the resume URL and gets the events it missed, in order', async () => {
    const resumesBefore = emu.resumeCount;
    const identifiesBefore = emu.identifyCount;
    expect(emu.dropGateway()).toBe(true);
    expect(emu.isConnected()).toBe(false);
    // dispatched while the bot is disconnected: must be replayed on RESUME
    const missed = emu.dispatchSlashCommand({ user: alice, name: 'status', options: { node: 'pi2' } });
    await emu.waitForResume(5000, resumesBefore);
    expect(emu.identifyCount).toBe(identifiesBefore);
    expect(emu.gatewayConnects.at(-1)!.path).toBe('/gateway/resume');
    await emu.waitFor(() => emu.interaction(missed.id)!.edits.length === 2, 5000, 'missed interaction handled');
    expect(emu.original(missed.id)!.content).toBe('pi2: ok (count=1, verbose=false)');
    // and later interactions still work
    const later = emu.dispatchSlashCommand({ user: bob, name: 'announce' });
    await emu.waitFor(() => emu.interaction(later.id)!.followUps.length === 1, 5000, 'announce follow-up');

    // an abrupt TCP drop (no close frame) also ends in a resume
    const resumed = once(client, Events.ShardResume);
    const r2 = emu.resumeCount;
    expect(emu.dropGateway({ terminate: true })).toBe(true);
    await emu.waitForResume(5000, r2);
    await resumed;
    expect(emu.identifyCount).toBe(identifiesBefore);
  });

  test('op 7 RECONNECT → resume; op 9 INVALID_SESSION(false) → fresh IDENTIFY, interactions keep working', async () => {
    const resumes = emu.resumeCount;
    // wait for discord.js to finish handling RESUMED before the next gateway action: its RESUMED
    // handler reads shard.sessionInfo, which an immediately following op 9 would already have cleared
    const clientResumed = once(client, Events.ShardResume);
    expect(emu.requestReconnect()).toBe(true);
    await emu.waitForResume(5000, resumes);
    await clientResumed;
    const identifies = emu.identifyCount;
    expect(emu.invalidateSession(false)).toBe(true);
    await emu.waitFor(() => emu.identifyCount > identifies && emu.isConnected(), 5000, 're-identify');
    expect(emu.identifies.at(-1)!.intents).toBe(GatewayIntentBits.Guilds);
    const p = emu.dispatchSlashCommand({ user: bob, name: 'ping' });
    await emu.waitFor(() => emu.interaction(p.id)!.edits.length === 1, 5000, 'ping after re-identify');
  });

  test('injected 429 is honoured by @discordjs/rest and retried', async () => {
    const channel = client.channels.cache.get(emu.defaultChannelId) as TextChannel;
    const route = `/channels/${emu.defaultChannelId}/messages`;
    emu.injectFault({
      match: (r) => r.method === 'POST' && r.path === route,
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 0.1, global: false },
      headers: { 'retry-after': '0.1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.1', 'x-ratelimit-scope': 'user' },
    });
    const since = Date.now();
    const sent = await channel.send('after rate limit');
    const posts = emu.requests.filter((r) => r.at >= since && r.method === 'POST' && r.path === route);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1].perfAt - posts[0].perfAt).toBeGreaterThanOrEqual(90);
    expect(emu.message(sent.id)?.content).toBe('after rate limit');
  });

  test('DMs, message edit, reactions, member fetch, role changes with permission + hierarchy checks', async () => {
    const user = await client.users.fetch(alice);
    const dm = await user.send('hello alice');
    expect(emu.channel(dm.channelId)?.type).toBe(1);
    expect(emu.channelMessages(dm.channelId).map((m) => m.content)).toEqual(['hello alice']);

    const channel = client.channels.cache.get(emu.defaultChannelId) as TextChannel;
    const m = await channel.send('v1');
    await m.edit('v2');
    await m.react('✅');
    expect(emu.message(m.id)!.content).toBe('v2');
    expect(emu.reactions(m.id, '✅')).toEqual([emu.botUserId]);
    const fetched = await channel.messages.fetch({ message: m.id, force: true });
    expect(fetched.editedTimestamp).not.toBeNull();

    const guild = client.guilds.cache.get(emu.guildId)!;
    const member = await guild.members.fetch(bob);
    expect(member.user.username).toBe('bob');
    await expect(member.roles.add(operatorsRoleId)).rejects.toMatchObject({ code: 50013 }); // no Manage Roles
    const botRole = emu.role(emu.botRoleId)!;
    const original = { permissions: botRole.permissions, position: botRole.position };
    emu.updateRole(emu.botRoleId, { permissions: (BigInt(botRole.permissions) | Perm.ManageRoles).toString() });
    await expect(member.roles.add(operatorsRoleId)).rejects.toMatchObject({ code: 50013 }); // Operators is above the bot's role
    emu.updateRole(emu.botRoleId, { position: 99 });
    try {
      await member.roles.add(operatorsRoleId);
      expect(emu.member(bob)!.roles).toEqual([operatorsRoleId]);
      await member.roles.remove(operatorsRoleId);
      expect(emu.member(bob)!.roles).toEqual([]);
    } finally {
      emu.updateRole(emu.botRoleId, original);
    }
  });

  test('setRefuseConnections: sends fail while Discord is unreachable and succeed afterwards', async () => {
    const channel = client.channels.cache.get(emu.defaultChannelId) as TextChannel;
    const refusedBefore = emu.refusedConnections;
    const requestsBefore = emu.requests.length;
    emu.setRefuseConnections(true);
    try {
      expect(emu.isConnected()).toBe(false);
      // The first sends may run into pooled keep-alive sockets that were just reset; once the pool is
      // empty, fresh connections get reset on accept. Every attempt must fail.
      // (@discordjs/rest retries ECONNRESET, but under jest its `error instanceof Error` check fails
      // across realms, so attempt counts differ from production; only failures are asserted.)
      for (let i = 0; i < 10 && emu.refusedConnections === refusedBefore; i++) {
        await expect(channel.send(`while down ${i}`)).rejects.toThrow(/ECONNRESET|other side closed|socket/i);
      }
      expect(emu.refusedConnections).toBeGreaterThan(refusedBefore);
      expect(emu.requests.length).toBe(requestsBefore); // nothing got through
      expect(emu.channelMessages(emu.defaultChannelId).some((m) => m.content.startsWith('while down'))).toBe(false);
    } finally {
      emu.setRefuseConnections(false);
    }
    const sent = await channel.send('back up');
    expect(emu.message(sent.id)?.content).toBe('back up');
    await emu.waitForReady(5000);
    const after = emu.dispatchSlashCommand({ user: bob, name: 'announce' });
    await emu.waitFor(() => emu.interaction(after.id)!.followUps.length === 1, 5000, 'interaction after outage');
  });

  test("setRefuseConnections(true, 'hang'): requests time out, then work again", async () => {
    const rest = new REST({ version: '10', api: emu.api, timeout: 200, retries: 0 }).setToken(TOKEN);
    emu.setRefuseConnections(true, 'hang');
    try {
      // undici's pool is shared between REST instances: a keep-alive socket killed just now may fail first
      await rest.get(Routes.user('@me')).catch(() => undefined);
      const t0 = Date.now();
      await expect(rest.get(Routes.user('@me'))).rejects.toThrow(/abort/i);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      expect(emu.requests.some((r) => r.at >= t0)).toBe(false);
    } finally {
      emu.setRefuseConnections(false);
    }
    const me = (await rest.get(Routes.user('@me'))) as { id: string };
    expect(me.id).toBe(emu.botUserId);
    await emu.waitForReady(5000);
  });

  test('listenUnix serves REST and the gateway; handed-out URLs follow the Host header', async () => {
    const sock = path.join(os.tmpdir(), `discord-emu-${process.pid}-${Date.now()}.sock`);
    await emu.listenUnix(sock);
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ socketPath: sock, path: '/api/v10/gateway/bot', headers: { host: 'forwarded.example:4242', authorization: `Bot ${TOKEN}` } }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body).url).toBe('ws://forwarded.example:4242/gateway');
    expect(emu.requests.at(-1)!.via).toBe('unix');

    const ws = new WebSocket(`ws+unix://${sock}:/gateway?v=10&encoding=json`);
    try {
      const [hello] = (await once(ws, 'message')) as [Buffer];
      expect(JSON.parse(hello.toString())).toEqual({ op: 10, d: { heartbeat_interval: 400 }, s: null, t: null });
      ws.send(JSON.stringify({ op: 2, d: { token: 'wrong', intents: 1, properties: {} } }));
      const [code] = (await once(ws, 'close')) as [number];
      expect(code).toBe(4004);
    } finally {
      ws.terminate();
    }
  });
});
