/**
 * Minimal multipart/form-data parser, enough for what @discordjs/rest (undici FormData) sends:
 * a `payload_json` text part and `files[n]` parts carrying a filename and a content type.
 */

export interface MultipartPart {
  /** form field name, e.g. "payload_json" or "files[0]" */
  name: string;
  /** filename from Content-Disposition, when the part is a file */
  filename?: string;
  /** Content-Type header of the part (undefined for plain fields) */
  contentType?: string;
  data: Buffer;
}

/** Returns the boundary from a `multipart/form-data; boundary=...` content type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data/i.test(contentType)) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}

/** undici/WHATWG FormData escapes `"` `\r` `\n` in names as %22 %0D %0A. */
function unescapeName(s: string): string {
  return s.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

function parseDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  const re = /;\s*([a-zA-Z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) {
    const key = m[1].toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (key === 'name') out.name = unescapeName(raw);
    else if (key === 'filename') out.filename ??= unescapeName(raw);
    else if (key === 'filename*') {
      // RFC 5987: charset'lang'percent-encoded
      const ext = /^[^']*'[^']*'(.*)$/.exec(raw);
      try {
        out.filename = decodeURIComponent(ext ? ext[1] : raw);
      } catch {
        out.filename = raw;
      }
    }
  }
  return out;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const parts: MultipartPart[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  const innerDelimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos === -1) throw new Error('multipart: boundary not found');
  for (;;) {
    let start = pos + delimiter.length;
    // closing delimiter: --boundary--
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) throw new Error('multipart: unterminated part headers');
    const headerText = body.subarray(start, headerEnd).toString('utf8');
    const next = body.indexOf(innerDelimiter, headerEnd + 4);
    if (next === -1) throw new Error('multipart: missing closing boundary');
    const data = Buffer.from(body.subarray(headerEnd + 4, next));
    const part: MultipartPart = { name: '', data };
    for (const line of headerText.split('\r\n')) {
      const idx = line.indexOf(':');
      if (idx === -1) continue;
      const key = line.slice(0, idx).trim().toLowerCase();
      const value = line.slice(idx + 1).trim();
      if (key === 'content-disposition') {
        const d = parseDisposition(value);
        part.name = d.name ?? '';
        if (d.filename !== undefined) part.filename = d.filename;
      } else if (key === 'content-type') {
        part.contentType = value;
      }
    }
    parts.push(part);
    pos = next + 2; // skip the CRLF, land on "--boundary"
  }
  return parts;
}
