import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface MigrationTarget {
  /** Creates the bookkeeping table if missing and returns the names already applied with their checksums. */
  applied(): Promise<Map<string, string>>;
  apply(name: string, statements: string[], checksum: string): Promise<void>;
}

/**
 * Applies `NNN_name.sql` files of a folder in order, each once. A file that changed after it
 * was applied is an error: migrations are append-only, fix forward with a new file.
 */
export async function runMigrations(dir: string, target: MigrationTarget): Promise<string[]> {
  const files = fs.readdirSync(dir).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  const done = await target.applied();
  const ran: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const previous = done.get(file);
    if (previous !== undefined) {
      if (previous !== checksum) throw new Error(`migration ${file} in ${dir} changed after it was applied (checksum ${previous} → ${checksum}); add a new migration instead`);
      continue;
    }
    await target.apply(file, splitStatements(text), checksum);
    ran.push(file);
  }
  return ran;
}

/** Splits on semicolons that end a line; comments starting with -- are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}
