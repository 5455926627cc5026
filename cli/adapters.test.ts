import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { tempDir } from '../test/helpers/temp';
import { prepareDataDir } from './adapters';

const prepare = (dir: string) => () => prepareDataDir(loadConfig({ DISTRIBUTARY_DATA_DIR: dir }));

describe('the data directory', () => {
  it('is created with its missing parents and left empty', () => {
    const dir = path.join(tempDir(), 'a', 'b', 'data');
    prepare(dir)();
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['a file', () => { const f = path.join(tempDir(), 'file'); fs.writeFileSync(f, 'x'); return f; }, /is unusable: it is not a directory/],
    ['below a file', () => { const f = path.join(tempDir(), 'file'); fs.writeFileSync(f, 'x'); return path.join(f, 'data'); }, /is unusable: ENOTDIR/],
    // Node's own recursive mkdirSync loops forever here.
    ['under /proc', () => '/proc/distributary-data', /is unusable: ENOENT/],
  ])('that is %s fails start-up naming the variable, value and reason', (_what, dir, reason) => {
    const value = dir();
    expect(prepare(value)).toThrow(ConfigError);
    expect(prepare(value)).toThrow(`DISTRIBUTARY_DATA_DIR=${JSON.stringify(value)}`);
    expect(prepare(value)).toThrow(reason);
  });
});
