import { readFileSync } from 'node:fs';
import type { Department } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DepartmentKind } from '@huijie/contracts/vocabulary.ts';

interface DirectoryFile {
  cityCode: string;
  departments: (Department & { alsoKnownAs?: string[] })[];
}

/** The department directory (data/departments-<city>.json): who is the `kind` body of a county or town. */
export class DepartmentDirectory {
  private readonly byCode = new Map<string, Department>();
  /** division → kind → department: looked up on every decision, so no key string is built per lookup. */
  private readonly byDivision = new Map<string, Map<DepartmentKind, Department>>();

  constructor(file: DirectoryFile) {
    for (const d of file.departments) {
      // Only the contract's fields travel in decisions; aliases are for search, not for agencies.
      const department = Object.freeze({
        code: d.code,
        kind: d.kind,
        name: d.name,
        divisionCode: d.divisionCode,
      });
      this.byCode.set(d.code, department);
      let kinds = this.byDivision.get(d.divisionCode);
      if (!kinds) {
        kinds = new Map();
        this.byDivision.set(d.divisionCode, kinds);
      }
      kinds.set(d.kind, department);
    }
  }

  get size(): number {
    return this.byCode.size;
  }

  /** The body of `kind` for a county (6-digit) or town (9-digit) code. */
  find(divisionCode: string, kind: DepartmentKind): Department | undefined {
    return this.byDivision.get(divisionCode)?.get(kind);
  }

  /** A department by its code, e.g. to tell it that it was withdrawn. */
  get(code: string): Department | undefined {
    return this.byCode.get(code);
  }

  all(): Department[] {
    return [...this.byCode.values()];
  }
}

export function loadDepartmentDirectory(cityCode = '350800'): DepartmentDirectory {
  const file = new URL(`../../data/departments-${cityCode}.json`, import.meta.url);
  return new DepartmentDirectory(JSON.parse(readFileSync(file, 'utf8')) as DirectoryFile);
}
