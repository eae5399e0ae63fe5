/**
 * A subset of Discord's server-side payload validation, so that a bot that would be rejected by
 * Discord with "Invalid Form Body" (50035) is also rejected by the emulator. Limits follow the
 * Discord API documentation (message content, embeds, components, autocomplete, commands).
 */

export interface FieldError {
  /** dotted path, e.g. "embeds.0.title" or "data.choices" */
  path: string;
  code: string;
  message: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Discord error body for 400 Invalid Form Body, with errors nested by path. */
export function invalidFormBody(errors: FieldError[]): Json {
  const tree: Json = {};
  for (const e of errors) {
    let node = tree;
    for (const key of e.path.split('.').filter(Boolean)) node = node[key] ??= {};
    (node._errors ??= []).push({ code: e.code, message: e.message });
  }
  return { message: 'Invalid Form Body', code: 50035, errors: tree };
}

function maxLen(errors: FieldError[], path: string, value: unknown, max: number, min = 0): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') {
    errors.push({ path, code: 'BASE_TYPE_STRING', message: 'Must be a string.' });
    return;
  }
  if (value.length > max) {
    errors.push({ path, code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` });
  } else if (value.length < min) {
    errors.push({ path, code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${min} or more in length.` });
  }
}

function embedLength(e: Json): number {
  let n = 0;
  const s = (v: unknown) => (typeof v === 'string' ? v.length : 0);
  n += s(e?.title) + s(e?.description) + s(e?.footer?.text) + s(e?.author?.name);
  for (const f of Array.isArray(e?.fields) ? e.fields : []) n += s(f?.name) + s(f?.value);
  return n;
}

export function validateEmbeds(embeds: Json, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  if (embeds === undefined || embeds === null) return errors;
  const p = `${prefix}embeds`;
  if (!Array.isArray(embeds)) return [{ path: p, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }];
  if (embeds.length > 10) errors.push({ path: p, code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' });
  let total = 0;
  embeds.forEach((e: Json, i: number) => {
    const ep = `${p}.${i}`;
    maxLen(errors, `${ep}.title`, e?.title, 256);
    maxLen(errors, `${ep}.description`, e?.description, 4096);
    maxLen(errors, `${ep}.footer.text`, e?.footer?.text, 2048);
    maxLen(errors, `${ep}.author.name`, e?.author?.name, 256);
    if (e?.color !== undefined && e?.color !== null) {
      if (!Number.isInteger(e.color) || e.color < 0 || e.color > 0xffffff) {
        errors.push({ path: `${ep}.color`, code: 'NUMBER_TYPE_MAX', message: 'Int value should be less than or equal to 16777215.' });
      }
    }
    const fields = e?.fields;
    if (fields !== undefined) {
      if (!Array.isArray(fields)) errors.push({ path: `${ep}.fields`, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
      else {
        if (fields.length > 25) errors.push({ path: `${ep}.fields`, code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' });
        fields.forEach((f: Json, j: number) => {
          if (typeof f?.name !== 'string' || f.name.length === 0) errors.push({ path: `${ep}.fields.${j}.name`, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
          else maxLen(errors, `${ep}.fields.${j}.name`, f.name, 256);
          if (typeof f?.value !== 'string' || f.value.length === 0) errors.push({ path: `${ep}.fields.${j}.value`, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
          else maxLen(errors, `${ep}.fields.${j}.value`, f.value, 1024);
        });
      }
    }
    total += embedLength(e);
  });
  if (total > 6000) errors.push({ path: p, code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' });
  return errors;
}

/** Collects every component with a custom_id, walking action rows, sections, containers, labels. */
export function walkComponents(components: Json, visit: (c: Json) => void): void {
  if (!Array.isArray(components)) return;
  for (const c of components) {
    if (!c || typeof c !== 'object') continue;
    visit(c);
    if (Array.isArray(c.components)) walkComponents(c.components, visit);
    if (c.accessory) walkComponents([c.accessory], visit);
    if (c.component) walkComponents([c.component], visit);
  }
}

const IS_COMPONENTS_V2 = 1 << 15;

export function validateComponents(components: Json, flags: number, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  if (components === undefined || components === null) return errors;
  const p = `${prefix}components`;
  if (!Array.isArray(components)) return [{ path: p, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }];
  const v2 = (flags & IS_COMPONENTS_V2) !== 0;
  if (!v2) {
    if (components.length > 5) errors.push({ path: p, code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 5 or fewer in length.' });
    components.forEach((row: Json, i: number) => {
      if (row?.type !== 1) {
        errors.push({ path: `${p}.${i}.type`, code: 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', message: 'Top-level components must be action rows unless IS_COMPONENTS_V2 is set.' });
        return;
      }
      const children = Array.isArray(row.components) ? row.components : [];
      if (children.length === 0) errors.push({ path: `${p}.${i}.components`, code: 'BASE_TYPE_MIN_LENGTH', message: 'Must be 1 or more in length.' });
      const selects = children.filter((c: Json) => [3, 5, 6, 7, 8].includes(c?.type)).length;
      if (children.length > 5 || (selects > 0 && children.length > 1)) {
        errors.push({ path: `${p}.${i}.components`, code: 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', message: 'The specified component exceeds the maximum width' });
      }
    });
  }
  const seen = new Set<string>();
  let idx = 0;
  walkComponents(components, (c) => {
    const cp = `${p}.${idx++}`;
    if (c.type === 2) {
      const isLink = c.style === 5;
      const isPremium = c.style === 6;
      if (isLink && !c.url) errors.push({ path: `${cp}.url`, code: 'BASE_TYPE_REQUIRED', message: 'Link buttons require a url' });
      if (!isLink && !isPremium && !c.custom_id) errors.push({ path: `${cp}.custom_id`, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
      maxLen(errors, `${cp}.label`, c.label, 80);
    }
    if (c.custom_id !== undefined) {
      maxLen(errors, `${cp}.custom_id`, c.custom_id, 100, 1);
      if (seen.has(c.custom_id)) errors.push({ path: `${cp}.custom_id`, code: 'COMPONENT_CUSTOM_ID_DUPLICATED', message: 'Component custom id cannot be duplicated' });
      seen.add(c.custom_id);
    }
    if (c.type === 3) {
      if (!Array.isArray(c.options) || c.options.length < 1 || c.options.length > 25) {
        errors.push({ path: `${cp}.options`, code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 25 in length.' });
      }
    }
  });
  return errors;
}

export interface MessageBodyCheck {
  /** the message state after applying the body (content/embeds/components/attachments count) */
  content: string;
  embeds: Json[];
  components: Json[];
  attachmentCount: number;
  stickers?: number;
  poll?: boolean;
  flags: number;
}

/** Validates a message create/edit body; `result` is the message as it would be stored. */
export function validateMessage(body: Json, result: MessageBodyCheck, prefix = ''): { status: number; body: Json } | null {
  const errors: FieldError[] = [];
  if (body && typeof body === 'object') {
    maxLen(errors, `${prefix}content`, body.content, 2000);
    errors.push(...validateEmbeds(body.embeds, prefix));
    errors.push(...validateComponents(body.components, result.flags, prefix));
  }
  if (errors.length) return { status: 400, body: invalidFormBody(errors) };
  const empty =
    !result.content && result.embeds.length === 0 && result.components.length === 0 && result.attachmentCount === 0 && !result.stickers && !result.poll;
  if (empty) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
  return null;
}

export function validateAutocompleteChoices(choices: Json): { status: number; body: Json } | null {
  const errors: FieldError[] = [];
  if (!Array.isArray(choices)) errors.push({ path: 'data.choices', code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
  else {
    if (choices.length > 25) errors.push({ path: 'data.choices', code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' });
    choices.forEach((c: Json, i: number) => {
      maxLen(errors, `data.choices.${i}.name`, c?.name, 100, 1);
      if (typeof c?.value === 'string') maxLen(errors, `data.choices.${i}.value`, c.value, 100);
      else if (typeof c?.value !== 'number') errors.push({ path: `data.choices.${i}.value`, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
    });
  }
  return errors.length ? { status: 400, body: invalidFormBody(errors) } : null;
}

const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function validateOptionList(errors: FieldError[], options: Json, path: string, depth: number): void {
  if (options === undefined || options === null) return;
  if (!Array.isArray(options)) {
    errors.push({ path, code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' });
    return;
  }
  if (options.length > 25) errors.push({ path, code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' });
  const names = new Set<string>();
  let sawOptional = false;
  options.forEach((o: Json, i: number) => {
    const op = `${path}.${i}`;
    if (typeof o?.name !== 'string' || !NAME_RE.test(o.name) || o.name !== o.name.toLowerCase()) {
      errors.push({ path: `${op}.name`, code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' });
    }
    if (names.has(o?.name)) errors.push({ path: `${op}.name`, code: 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS', message: 'Option name already exists' });
    names.add(o?.name);
    maxLen(errors, `${op}.description`, o?.description ?? '', 100, 1);
    if (typeof o?.type !== 'number' || o.type < 1 || o.type > 11) {
      errors.push({ path: `${op}.type`, code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {1..11}.' });
      return;
    }
    if (o.type === 1 || o.type === 2) {
      if (depth >= (o.type === 2 ? 1 : 2)) errors.push({ path: `${op}.type`, code: 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID', message: 'Sub-command and sub-command group option types are mutually exclusive to all other types' });
      validateOptionList(errors, o.options, `${op}.options`, depth + 1);
      return;
    }
    if (o.required) {
      if (sawOptional) errors.push({ path: `${op}.required`, code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', message: 'Required options must be placed before non-required options' });
    } else sawOptional = true;
    if (Array.isArray(o.choices)) {
      if (o.choices.length > 25) errors.push({ path: `${op}.choices`, code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' });
      if (o.autocomplete && o.choices.length) errors.push({ path: `${op}.autocomplete`, code: 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID', message: 'Autocomplete cannot be set with choices' });
    }
  });
}

/** Validates an application command definition (POST/PUT/PATCH /applications/.../commands). */
export function validateCommand(cmd: Json, prefix: string, partial = false): FieldError[] {
  const errors: FieldError[] = [];
  const type = cmd?.type ?? 1;
  if (!partial || cmd?.name !== undefined) {
    const name = cmd?.name;
    const okName = typeof name === 'string' && (type === 1 ? NAME_RE.test(name) && name === name.toLowerCase() : name.length >= 1 && name.length <= 32);
    if (!okName) errors.push({ path: `${prefix}name`, code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' });
  }
  if (type === 1 && (!partial || cmd?.description !== undefined)) maxLen(errors, `${prefix}description`, cmd?.description ?? '', 100, 1);
  validateOptionList(errors, cmd?.options, `${prefix}options`, 0);
  return errors;
}
