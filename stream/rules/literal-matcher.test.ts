import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { compileLiteralMatcher, literalAlternation } from './literal-matcher';

/** The automaton must answer as the case-insensitive alternation regex it replaced, on any input. */
const botList = JSON.parse(fs.readFileSync(path.join(__dirname, '../../rules/lists/bot-user-agents.json'), 'utf8')).entries as string[];
// Characters whose case mapping crosses between ASCII and the rest: where a fold done differently would show.
const tricky = fc.constantFrom('K', 'k', '\u212a', 's', 'S', '\u017f', 'i', 'I', '\u0130', '\u0131', '\u00df', '\ufb00', '\u00e9', '\u00c9', '/', '.', '|', '\\', '\ud800', 'é');
const text = (alphabet: fc.Arbitrary<string>) => fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join(''));
const ascii = fc.string({ maxLength: 6 });
const input = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), text(fc.oneof(tricky, fc.constantFrom('a', 'b', 'c', 'B', 'C', 'A'))));

describe('compileLiteralMatcher', () => {
  it('answers as the case-insensitive alternation does, for any entries and input', () => {
    const entries = fc.array(fc.oneof(ascii, text(fc.oneof(tricky, fc.constantFrom('a', 'b', 'c'))).map((s) => s.slice(0, 4))), { maxLength: 8 });
    fc.assert(fc.property(entries, fc.array(input, { minLength: 1, maxLength: 10 }), (list, inputs) => {
      const matches = compileLiteralMatcher(list);
      const re = literalAlternation(list);
      for (const s of inputs) expect(matches(s)).toBe(re.test(s));
      for (const s of list) expect(matches(`x${s.toUpperCase()}y`)).toBe(re.test(`x${s.toUpperCase()}y`));
    }), { numRuns: 3000 });
  });

  it('answers as the regex on the shipped bot list, around every entry and in any case', () => {
    const matches = compileLiteralMatcher(botList);
    const re = literalAlternation(botList);
    const around = fc.tuple(input, fc.constantFrom(...botList), input, fc.boolean()).map(([a, e, b, up]) => `${a}${up ? e.toUpperCase() : e.slice(0, -1)}${b}`);
    fc.assert(fc.property(fc.oneof(input, around), (s) => expect(matches(s)).toBe(re.test(s))), { numRuns: 5000 });
    expect(matches('Mozilla/5.0 (compatible; Googlebot/2.1)')).toBe(true);
    expect(matches('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36')).toBe(false);
  });

  it('matches everything when the list is empty or holds an empty entry, as the regex does', () => {
    expect(compileLiteralMatcher([])('anything')).toBe(true);
    expect(compileLiteralMatcher(['bot', ''])('')).toBe(true);
  });
});
