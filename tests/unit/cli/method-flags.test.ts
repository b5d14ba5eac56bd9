/** The merge commands' options as derived from the method registry (what `capvector merge --help` users rely on). */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/io';
import { listing, METHOD_COMMANDS, paramFlags, roleFlags } from '../../../src/cli/method-flags';

const command = (name: string) => METHOD_COMMANDS.find((c) => c.name === name)!;

describe('merge commands derived from the registry', () => {
  it('merge runs the methods without a command of their own, capvector first (the default)', () => {
    expect(METHOD_COMMANDS.map((c) => c.name)).toEqual(['merge', 'extract', 'apply']);
    expect(command('merge').methods).toEqual(['capvector', 'task-arithmetic', 'ties', 'dare', 'linear']);
    expect(command('extract').methods).toEqual(['extract']);
  });

  it('one option per parameter: values, then switches, then per-model lists', () => {
    expect(paramFlags(command('merge').methods)).toEqual([
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
    expect(roleFlags(command('merge').methods)).toEqual(['pre', 'aux', 'sft', 'models']);
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
