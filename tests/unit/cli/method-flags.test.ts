/**
 * The merge commands' options as derived from the method registry: today's methods and options keep
 * their commands, names, kinds and order (a method added later may add its own without editing this).
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/io';
import { listing, METHOD_COMMANDS, paramFlags, roleFlags } from '../../../src/cli/method-flags';

const command = (name: string) => METHOD_COMMANDS.find((c) => c.name === name)!;
const only = <T>(known: T[], list: T[]) => list.filter((x) => known.includes(x));
const TODAY = ['capvector', 'extract', 'apply', 'task-arithmetic', 'ties', 'dare', 'linear'];

describe('merge commands derived from the registry', () => {
  it('merge runs the methods without a command of their own, capvector first (the default)', () => {
    expect(only(['merge', 'extract', 'apply'], METHOD_COMMANDS.map((c) => c.name))).toEqual(['merge', 'extract', 'apply']);
    expect(command('merge').methods[0]).toBe('capvector');
    expect(only(TODAY, command('merge').methods)).toEqual(['capvector', 'task-arithmetic', 'ties', 'dare', 'linear']);
    expect(command('extract').methods).toEqual(['extract']);
  });

  it('one option per parameter: values, then switches, then per-model lists', () => {
    const known = ['alpha', 'lambda', 'p', 'seed', 'normalize', 'ties', 'weight', 'density'];
    expect(paramFlags(command('merge').methods).filter((f) => known.includes(f.name))).toEqual([
      { name: 'alpha', kind: 'value' },
      { name: 'lambda', kind: 'value' },
      { name: 'p', kind: 'value' },
      { name: 'seed', kind: 'value' },
      { name: 'normalize', kind: 'switch' },
      { name: 'ties', kind: 'switch' },
      { name: 'weight', kind: 'per-model' },
      { name: 'density', kind: 'per-model' },
    ]);
    expect(paramFlags(command('apply').methods)).toEqual([{ name: 'alpha', kind: 'value' }]);
    expect(paramFlags(command('extract').methods)).toEqual([]);
    expect(only(['pre', 'aux', 'sft', 'vector', 'models'], roleFlags(command('merge').methods))).toEqual(['pre', 'aux', 'sft', 'models']);
    expect(roleFlags(command('apply').methods)).toEqual(['pre', 'vector']);
    expect(listing(['task-arithmetic', 'ties', 'dare', 'linear'])).toBe('task-arithmetic, ties, dare and linear');
  });
});

describe('the argument parser', () => {
  const spec = { values: ['alpha', 'include'], switches: ['json'], positional: true };
  it('takes --name V, --name=V, repeated values, switches and bare arguments', () => {
    const p = parseArgs(['a', '--alpha', '-0.5', '--include=x', '--include', 'y', '--json', 'b'], spec);
    expect(p.values.get('alpha')).toEqual(['-0.5']);
    expect(p.values.get('include')).toEqual(['x', 'y']);
    expect([...p.switches]).toEqual(['json']);
    expect(p.positional).toEqual(['a', 'b']);
  });
  it('names each usage fault', () => {
    expect(() => parseArgs(['--beta', '1'], spec)).toThrow(new UsageError('unknown option --beta'));
    expect(() => parseArgs(['--alpha', '--json'], spec)).toThrow(new UsageError('--alpha needs a value'));
    expect(() => parseArgs(['--alpha'], spec)).toThrow(new UsageError('--alpha needs a value'));
    expect(() => parseArgs(['x'], { ...spec, positional: false })).toThrow(new UsageError("unexpected argument 'x'"));
  });
});
