import fc from 'fast-check';
import { arrayElements, keysIn, keysWritten } from './json-elements';

/** JSON text of `values` as a client might lay it out: any JSON whitespace around any token. */
function layout(values: unknown[], gaps: string[]): string {
  const gap = (i: number) => gaps[i % gaps.length];
  return `${gap(0)}[${gap(1)}${values.map((v, i) => `${gap(i + 2)}${JSON.stringify(v, null, i % 3)}${gap(i + 3)}`).join(',')}${gap(4)}]${gap(5)}`;
}

describe('arrayElements', () => {
  it('returns each element\'s text as written, which parses to that element, for any JSON array', () => {
    const hostileText = fc.oneof(fc.string(), fc.constantFrom('"', '\\', '\\"', '[', ']', '{', '}', ',', '"],[', '\\\\"', '\u2028', '😀', '\u0000'));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, hostileText, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null),
        fc.array(tie('v')), fc.dictionary(hostileText, tie('v'))),
    })).v;
    const gaps = fc.array(fc.stringMatching(/^[ \t\r\n]{0,3}$/), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(fc.array(value, { maxLength: 12 }), gaps, (values, ws) => {
      const text = layout(values, ws);
      const parsed = JSON.parse(text) as unknown[];
      const texts = arrayElements(text, text.indexOf('['));
      expect(texts.length).toBe(parsed.length);
      texts.forEach(({ text: t, keys }, i) => {
        expect(JSON.parse(t)).toEqual(parsed[i]);
        expect(t).toBe(t.trim()); // no layout around it
        expect(keys).toBe(keysIn(parsed[i])); // no key repeated here
        expect(keysWritten(t)).toBe(keys);
      });
    }), { numRuns: 500 });
  });

  it('keeps the client\'s own spelling of numbers and escapes', () => {
    const text = '[ {"price": 1.50, "q": "caf\\u00e9"} ,\n 1e2 ]';
    expect(arrayElements(text, 0)).toEqual([{ text: '{"price": 1.50, "q": "caf\\u00e9"}', keys: 2 }, { text: '1e2', keys: 0 }]);
  });

  it('counts a repeated key, which JSON.parse keeps once', () => {
    const text = '{"event_id": "a", "p": {"x": 1, "x": 2}, "event_id": "b"}';
    expect(keysWritten(text)).toBe(5);
    expect(keysIn(JSON.parse(text))).toBe(3);
    const tricky = JSON.stringify({ 'a:b': 'c:d', 'e\\': ':', '"': '\\"' });
    expect(keysWritten(tricky)).toBe(3);
  });
});
