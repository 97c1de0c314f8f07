import type { BadInputCase } from './bad-input-case';
import { fieldCases } from './field-cases';
import { OPERATIONS } from './operations';
import { idempotencyCases, pathCases, queryCases, referenceCases } from './path-cases';
import { transportCases, volumeCases } from './transport-cases';

/** Every case: each documented operation × each class that applies to it, then a few volume cases. */
export function badInputCases(operations = OPERATIONS): BadInputCase[] {
  const cases = [
    ...operations.flatMap((operation) => [
      // Those whose answer depends on the scratch object's state first: a case wrongly accepted (a finish with a
      // bad field) changes that object, and only the cases after it see the change.
      ...idempotencyCases(operation),
      ...pathCases(operation),
      ...queryCases(operation),
      ...referenceCases(operation),
      ...transportCases(operation),
      ...fieldCases(operation),
    ]),
    ...volumeCases(operations),
  ];
  const seen = new Set<string>();
  for (const { name } of cases) {
    if (seen.has(name)) throw new Error(`two bad-input cases are named "${name}"`);
    seen.add(name);
  }
  return cases;
}
