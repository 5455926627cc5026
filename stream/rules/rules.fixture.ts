import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../test/helpers/temp';
import { bundledRulesDir } from './load-ruleset';

/** A copy of the shipped rules folder in a temporary directory, for tests that edit or break it. */
export function copyOfRules(): string {
  const dir = path.join(tempDir('rules-'), 'rules');
  fs.cpSync(bundledRulesDir(), dir, { recursive: true });
  return dir;
}

/** Rewrites one JSON file of a rules folder in place. */
export function editJson(file: string, edit: (json: any) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json, null, 1));
}
