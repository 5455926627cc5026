import fc from 'fast-check';
import { SeenIds } from './seen-ids';

describe('SeenIds', () => {
  it('forgets ids older than the window, and an id added again lives from its latest time', () => {
    const seen = new SeenIds(1000);
    seen.add(['a', 'b'], 0);
    seen.add(['c'], 500);
    seen.add(['a'], 900);
    seen.add([], 1200); // cutoff 200: b goes, a (re-added at 900) stays
    expect(['a', 'b', 'c'].map((id) => seen.has(id))).toEqual([true, false, true]);
    seen.add([], 1950); // cutoff 950: a and c go
    expect(seen.size).toBe(0);
  });

  it('keeps at most maxIds, the newest', () => {
    const seen = new SeenIds(1e9, 3);
    seen.add(['a', 'b', 'c', 'd', 'e'], 1);
    expect(seen.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => seen.has(id))).toEqual([false, false, true, true, true]);
  });

  it('matches a plain model over long runs (queue compaction included)', () => {
    const batch = fc.tuple(fc.array(fc.integer({ min: 0, max: 3000 }).map(String), { minLength: 50, maxLength: 400 }), fc.integer({ min: 0, max: 300 }));
    fc.assert(fc.property(fc.array(batch, { minLength: 10, maxLength: 30 }), fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 1, max: 5000 }), (batches, windowMs, maxIds) => {
      const seen = new SeenIds(windowMs, maxIds);
      const model = new Map<string, number>();
      let now = 0;
      for (const [ids, step] of batches) {
        now += step;
        seen.add(ids, now);
        for (const id of ids) {
          model.delete(id);
          model.set(id, now);
        }
        for (const [id, at] of model) {
          if (at >= now - windowMs && model.size <= maxIds) break;
          model.delete(id);
        }
        expect(seen.size).toBe(model.size);
        for (const id of ids) expect(seen.has(id)).toBe(model.has(id));
      }
      for (const id of model.keys()) expect(seen.has(id)).toBe(true);
    }), { numRuns: 60, endOnFailure: true });
  });
});
