/**
 * The WASM profile of dMIR: load (decode, validate, lower, verify), instantiate and invoke.
 */
import { fail, flatMapResult, ok, type Result } from '../../encoding/result.js';
import type { Module, Val, ValType } from '../ir.js';
import { instantiate, invokeFunction, type ExecOptions, type HostResolver, type Instance, type Instantiated, type InvokeResult } from '../interp.js';
import { verifyModule } from '../verify.js';
import { decodeModule } from './decode.js';
import { lowerModule } from './lower.js';
import { validateModule } from './validate.js';

export { decodeModule } from './decode.js';
export { validateModule } from './validate.js';
export { lowerModule } from './lower.js';

/**
 * A module is executable iff it decodes, validates and meets the profile limits; it is then
 * lowered to dMIR, which the dMIR verifier accepts.
 *
 * @spec DMIR-WASM-LOAD.1 DMIR-EXEC-ADMIT.1
 */
export const loadWasm = (bytes: Uint8Array): Result<Module> =>
  flatMapResult(flatMapResult(decodeModule(bytes), validateModule), (m) => verifyModule(lowerModule(m)));

export const instantiateWasm = (m: Module, resolve: HostResolver, opts: ExecOptions): Result<Instantiated> => instantiate(m, resolve, opts);

export const INVOKE_ERROR_CODES = ['Wasm.Invoke.UNKNOWN_EXPORT', 'Wasm.Invoke.BAD_ARGUMENTS'] as const;

const fitsType = (t: ValType, v: Val): boolean => (t === 'i64' || t === 'f64' ? typeof v === 'bigint' : typeof v === 'number');

/**
 * Invokes an exported function by name after checking the arguments against its signature.
 *
 * @spec DMIR-EXEC-INVOKE.1
 */
export const invokeExport = (inst: Instance, name: string, args: readonly Val[], opts: ExecOptions): Result<InvokeResult> => {
  const e = inst.module.exports.find((x) => x.name === name && x.kind === 'func');
  if (e === undefined) return fail('Wasm.Invoke.UNKNOWN_EXPORT', `no exported function ${JSON.stringify(name)}`);
  const f = inst.module.funcs[e.index]!;
  if (args.length !== f.type.params.length || f.type.params.some((t, i) => !fitsType(t, args[i]!))) {
    return fail('Wasm.Invoke.BAD_ARGUMENTS', `${name} takes (${f.type.params.join(' ')}), given ${args.length} arguments`);
  }
  return ok(invokeFunction(inst, e.index, args, opts));
};

/** Reads an exported global's current value. */
export const readGlobal = (inst: Instance, name: string): Result<Val> => {
  const e = inst.module.exports.find((x) => x.name === name && x.kind === 'global');
  return e === undefined ? fail('Wasm.Invoke.UNKNOWN_EXPORT', `no exported global ${JSON.stringify(name)}`) : ok(inst.globals[e.index]!);
};
