import fs from 'node:fs';
import path from 'node:path';
import { bundledRulesDir, fingerprint, loadRuleSet } from './load-ruleset';
import { copyOfRules, editJson } from './rules.fixture';

describe('loadRuleSet', () => {
  it('compiles the shipped rules, versioned by declaration and content', () => {
    const set = loadRuleSet(bundledRulesDir());
    expect(set.rules.length).toBeGreaterThanOrEqual(25);
    expect(set.version).toMatch(/^2026\.11\.1\+[0-9a-f]{8}$/);
    expect(set.usesSession).toBe(true);
    expect(set.categoryOf('bot_user_agent')).toBe('bot');
    expect(set.forType('purchase').map((r) => r.id)).toContain('purchase_without_order_id');
    expect(set.forType('page_view').map((r) => r.id)).not.toContain('purchase_without_order_id');
    // The same files give the same version; a content edit or another horizon gives another.
    expect(loadRuleSet(bundledRulesDir()).version).toBe(set.version);
    expect(loadRuleSet(bundledRulesDir(), { late_horizon_ms: 1 }).version).not.toBe(set.version);
    const dir = copyOfRules();
    editJson(path.join(dir, 'values.json'), (j) => (j.rules[0].description = 'Below zero.'));
    expect(loadRuleSet(dir).version).not.toBe(set.version);
  });

  it.each<[string, (dir: string) => void, RegExp]>([
    ['a file that is not JSON', (d) => fs.writeFileSync(path.join(d, 'bots.json'), '{ "rules": [ '), /bots\.json: not valid JSON/],
    ['an unknown action', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[0].action = { type: 'eval', code: 'x' })), /values\.json: rules\.0\.action/],
    ['an unknown operator', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[0].when.op = 'regex')), /values\.json: rules\.0\.when/],
    ['a prototype path', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[0].when.field = 'properties.__proto__.x')), /no __proto__/],
    ['a duplicate rule id', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[1].id = j.rules[0].id)), /rule price_negative \(values\.json\): the id is used twice/],
    ['an unknown event type', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[0].types = ['refund'])), /unknown event type refund/],
    ['a missing list', (d) => editJson(path.join(d, 'ruleset.json'), (j) => delete j.lists.iso4217), /currency_not_iso4217.*needs a known list/],
    ['a file outside the folder', (d) => editJson(path.join(d, 'ruleset.json'), (j) => j.files.push('../../etc/passwd')), /must be inside the rules folder/],
    ['a rewrite of the event id', (d) => editJson(path.join(d, 'values.json'), (j) => (j.rules[0].action = { type: 'set', field: 'event_id', value: 'x' })), /cannot rewrite event_id/],
    ['a missing rule file', (d) => fs.rmSync(path.join(d, 'privacy.json')), /privacy\.json: cannot read/],
  ])('refuses %s, naming the file and the problem', (_what, breakIt, message) => {
    const dir = copyOfRules();
    breakIt(dir);
    expect(() => loadRuleSet(dir)).toThrow(message);
  });

  it('names DISTRIBUTARY_RULES_DIR when the rules folder does not exist', () => {
    expect(() => loadRuleSet('/nonexistent/rules-here')).toThrow(/the rules folder \/nonexistent\/rules-here does not exist: set DISTRIBUTARY_RULES_DIR/);
  });

  it('fingerprints a folder by its files, so edits are noticed', () => {
    const dir = copyOfRules();
    const before = fingerprint(dir);
    expect(fingerprint(dir)).toBe(before);
    fs.appendFileSync(path.join(dir, 'bots.json'), '\n');
    expect(fingerprint(dir)).not.toBe(before);
    expect(fingerprint(path.join(dir, 'nope'))).toBe('error:ENOENT');
  });
});
