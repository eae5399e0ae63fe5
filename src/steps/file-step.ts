import { FileTarget } from '../system/files';
import { fileDiff } from './diff';
import { Step } from './step';

/**
 * A file that should have given content. `desired` sees the current text so steps that own only
 * some lines of a shared file can keep everything else; null means the file should not exist.
 */
export function fileStep(opts: {
  id: string;
  title: string;
  where: Step['where'];
  target: FileTarget;
  path: string;
  desired: (current: string | null) => string | null;
  mode?: number;
  /** Runs after a change was written (reload a daemon...); returns notes for the user. */
  afterWrite?: () => Promise<string[] | void>;
}): Step {
  return {
    id: opts.id,
    title: opts.title,
    where: opts.where,
    async check() {
      const current = await opts.target.read(opts.path);
      const want = opts.desired(current);
      if (current === want) {
        return { inSync: true, summary: want === null ? `${opts.path} absent` : `${opts.path} up to date` };
      }
      const verb = want === null ? 'remove' : current === null ? 'create' : 'update';
      return { inSync: false, summary: `${verb} ${opts.path} on ${opts.target.label}`, diff: fileDiff(opts.path, current, want) };
    },
    async apply() {
      const current = await opts.target.read(opts.path);
      const want = opts.desired(current);
      if (want === null) await opts.target.remove(opts.path);
      else await opts.target.write(opts.path, want, opts.mode);
      return (await opts.afterWrite?.()) ?? [];
    },
  };
}
