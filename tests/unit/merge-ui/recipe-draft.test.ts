import { describe, expect, it } from 'vitest';
import { defaultDraft, draftFromQuery, draftToQuery, withMethod } from '../../../src/merge/recipe-draft';
import { convertParam, countAffected, exactNameFilter, parseFilterLines, parseGradient, paramMode } from '../../../src/ui/merge/editing';
import { matchesFilter } from '../../../src/merge/params';

describe('recipe draft in the URL', () => {
  it('round-trips method, parameters, filters, output and engine', () => {
    const d = defaultDraft('capvector');
    d.recipe.params.alpha = [{ filter: 'norm', value: 0 }, { value: 0.8 }];
    d.recipe.exclude = ['embed', '/^lm_head\\./'];
    d.recipe.outDtype = 'F16';
    d.recipe.shardSize = 5 << 20;
    d.engine = 'cpu';
    d.recipe.roles = { pre: 'my-secret-path/pre' };
    const q = draftToQuery(d);
    expect(q).not.toContain('secret'); // bound checkpoints never enter the link
    const back = draftFromQuery(q);
    expect(back.errors).toEqual([]);
    expect(back.draft.engine).toBe('cpu');
    expect(back.draft.recipe).toEqual({ ...d.recipe, roles: {} });
  });

  it('keeps per-model parameters of multi-model methods', () => {
    const d = defaultDraft('ties');
    d.recipe.roles = { models: [{ name: 'a', params: { weight: 0.3, density: 0.5 } }, { name: 'b', params: { weight: 0.7 } }] };
    const back = draftFromQuery(draftToQuery(d));
    expect(back.errors).toEqual([]);
    expect(back.draft.recipe.roles.models?.map((m) => m.params)).toEqual([{ weight: 0.3, density: 0.5 }, { weight: 0.7 }]);
  });

  it('falls back to the default with a message on broken or hostile links', () => {
    expect(draftFromQuery('recipe=%7Bnot json').errors[0]).toMatch(/not valid JSON/);
    expect(draftFromQuery(`recipe=${encodeURIComponent('{"method":"rm -rf"}')}`).errors[0]).toMatch(/unknown method/);
    const bad = draftFromQuery(`recipe=${encodeURIComponent('{"method":"ties","params":{"lambda":"x"}}')}`);
    expect(bad.errors.length).toBeGreaterThan(0);
    expect(bad.draft).toEqual(defaultDraft());
    expect(draftFromQuery('engine=quantum').errors[0]).toMatch(/engine 'quantum'/);
  });

  it('switching method keeps output options and filters but resets parameters', () => {
    const d = defaultDraft('capvector');
    d.recipe.params.alpha = 0.5;
    d.recipe.outDtype = 'BF16';
    d.recipe.exclude = ['norm'];
    const t = withMethod(d, 'ties');
    expect(t.recipe.method).toBe('ties');
    expect(t.recipe.params.alpha).toBeUndefined();
    expect(t.recipe.params.lambda).toBe(1);
    expect(t.recipe.outDtype).toBe('BF16');
    expect(t.recipe.exclude).toEqual(['norm']);
  });
});

describe('parameter editing', () => {
  it('parses gradient lists and names the bad entry', () => {
    expect(parseGradient('0, 0.5,1')).toEqual([0, 0.5, 1]);
    expect(parseGradient('0.2 0.8')).toEqual([0.2, 0.8]);
    expect(parseGradient('1')).toMatch(/at least two/);
    expect(parseGradient('0, abc, 1')).toBe("'abc' is not a number");
  });

  it('converts between scalar, gradient and rules keeping the value', () => {
    expect(paramMode(0.8)).toBe('scalar');
    expect(paramMode([0, 1])).toBe('gradient');
    expect(paramMode([{ value: 1 }])).toBe('rules');
    expect(convertParam(0.8, 'gradient', 1)).toEqual([0.8, 0.8]);
    expect(convertParam([0.3, 1], 'scalar', 1)).toBe(0.3);
    const rules = convertParam(0.8, 'rules', 1);
    expect(rules).toEqual([{ filter: 'norm', value: 0 }, { value: 0.8 }]);
    expect(convertParam(undefined, 'scalar', 1)).toBe(1);
  });
});

describe('filters', () => {
  const names = [
    'vision.blocks.1.attn.qkv.weight',
    'vision.blocks.10.attn.qkv.weight',
    'vision.blocks.1.norm1.weight',
    'lm.layers.0.mlp.up_proj.weight',
    'xlm.layers.0.mlp.up_proj.weight',
  ];

  it('exact-name filters match one tensor only, even with dots and prefixes', () => {
    const f = exactNameFilter('lm.layers.0.mlp.up_proj.weight');
    expect(names.filter((n) => matchesFilter(f, n))).toEqual(['lm.layers.0.mlp.up_proj.weight']);
    const g = exactNameFilter('vision.blocks.1.attn.qkv.weight');
    expect(names.filter((n) => matchesFilter(g, n))).toEqual(['vision.blocks.1.attn.qkv.weight']);
    expect(matchesFilter(exactNameFilter('a(b)[c]*+?$^/|\\'), 'a(b)[c]*+?$^/|\\')).toBe(true);
  });

  it('counts tensors left to the method after include and exclude', () => {
    expect(countAffected(names, undefined, undefined)).toEqual({ total: 5, affected: 5, excluded: 0, notIncluded: 0 });
    expect(countAffected(names, ['vision'], ['norm'])).toEqual({ total: 5, affected: 2, excluded: 1, notIncluded: 2 });
    expect(countAffected(names, ['/^lm\\./'], [])).toEqual({ total: 5, affected: 1, excluded: 0, notIncluded: 4 });
  });

  it('splits filter text into lines and drops blanks', () => {
    expect(parseFilterLines(' norm \n\n embed\n')).toEqual(['norm', 'embed']);
  });
});
