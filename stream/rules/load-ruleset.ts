import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DistributaryError } from '../../lib/errors';
import { assetPath } from '../../lib/package-root';
import { compileRuleSet, type CompiledRuleSet, type RuleSetSources } from './compile-ruleset';
import { ListFile, RuleFile, RuleSetFile } from './rule-file';

/** A rules folder that cannot be read, parsed or compiled; the message names the file and the problem. */
export class RuleSetError extends DistributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'rules_invalid', false, options);
  }
}

const MAX_FILE_BYTES = 4 << 20;

/** Reads and checks a rules folder: `ruleset.json`, then its rule files and lists. */
export function readRuleSetSources(dir: string): RuleSetSources {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) {
    throw new RuleSetError(`the rules folder ${root} does not exist: set DISTRIBUTARY_RULES_DIR to a folder of rules (relative to the working directory), or leave it empty for the package's own (${bundledRulesDir()})`);
  }
  const digest = createHash('sha256');
  const read = <T>(name: string, schema: z.ZodType<T>): T => {
    const file = path.resolve(root, name);
    if (!file.startsWith(root + path.sep)) throw new RuleSetError(`${name}: rule files must be inside the rules folder ${root}`);
    let text: string;
    try {
      if (fs.statSync(file).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new RuleSetError(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
    }
    digest.update(`${name}\0${text}\0`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new RuleSetError(`${file}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new RuleSetError(`${file}: ${issues.join('; ')}`);
    }
    return parsed.data;
  };
  const manifest = read('ruleset.json', RuleSetFile);
  const lists = new Map(Object.entries(manifest.lists).map(([name, file]) => [name, read(file, ListFile).entries] as const));
  const files = manifest.files.map((name) => ({ name, rules: read(name, RuleFile).rules }));
  return { manifest, files, lists, digest: digest.digest('hex') };
}

/** Reads, checks and compiles a rules folder; throws RuleSetError, never half-loads. */
export function loadRuleSet(dir: string, overrides: Record<string, number> = {}): CompiledRuleSet {
  const sources = readRuleSetSources(dir);
  try {
    return compileRuleSet(sources, overrides);
  } catch (err) {
    throw new RuleSetError(`${path.resolve(dir)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The rules folder that ships with the platform (`<package>/rules`), from the sources and the
 * build alike. Used when a caller gives no rules of its own.
 */
export function bundledRulesDir(): string {
  return assetPath('rules');
}

/** A cheap fingerprint of a folder's files (names, sizes, modification times), for reload polling. */
export function fingerprint(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const s = fs.statSync(p);
        parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  try {
    walk(dir);
  } catch (err) {
    parts.push(`error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`);
  }
  return parts.join('|');
}
