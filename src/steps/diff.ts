import { createTwoFilesPatch } from 'diff';

/** A unified diff of one file, or '' when equal. */
export function fileDiff(path: string, before: string | null, after: string | null): string {
  if ((before ?? '') === (after ?? '') && (before === null) === (after === null)) return '';
  const patch = createTwoFilesPatch(before === null ? '/dev/null' : `a${path}`, after === null ? '/dev/null' : `b${path}`, before ?? '', after ?? '', '', '', { context: 2 });
  // Drop the "Index"/"====" preamble createTwoFilesPatch adds; keep ---/+++ and hunks.
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('====') && !l.startsWith('Index:'))
    .join('\n')
    .trimEnd();
}

export function lineDiff(removed: string[], added: string[]): string {
  return [...removed.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join('\n');
}
