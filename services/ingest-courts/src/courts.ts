/**
 * Longyan's courts as case numbers name them (法院代字): 闽 + 08 (the intermediate court) + two
 * digits (a basic court). Each sits in one county, whose division code becomes the dispute's
 * place when the referral names no better one.
 */
export interface Court {
  /** The court's code in case numbers, e.g. 闽0803. */
  code: CourtCode;
  name: string;
  /** The county (or, for the intermediate court, the city) the court serves. */
  divisionCode: string;
  level: 'intermediate' | 'basic';
  /** ASCII form of the code for topic names and URLs (Kafka topics allow no Chinese): fj0803. */
  slug: string;
}

export const courtCodes = [
  '闽08',
  '闽0802',
  '闽0803',
  '闽0821',
  '闽0823',
  '闽0824',
  '闽0825',
  '闽0881',
] as const;
export type CourtCode = (typeof courtCodes)[number];

const table: Record<CourtCode, Omit<Court, 'code' | 'slug'>> = {
  闽08: { name: '福建省龙岩市中级人民法院', divisionCode: '350800', level: 'intermediate' },
  闽0802: { name: '龙岩市新罗区人民法院', divisionCode: '350802', level: 'basic' },
  闽0803: { name: '龙岩市永定区人民法院', divisionCode: '350803', level: 'basic' },
  闽0821: { name: '长汀县人民法院', divisionCode: '350821', level: 'basic' },
  闽0823: { name: '上杭县人民法院', divisionCode: '350823', level: 'basic' },
  闽0824: { name: '武平县人民法院', divisionCode: '350824', level: 'basic' },
  闽0825: { name: '连城县人民法院', divisionCode: '350825', level: 'basic' },
  闽0881: { name: '漳平市人民法院', divisionCode: '350881', level: 'basic' },
};

export const courts: ReadonlyMap<string, Court> = new Map(
  courtCodes.map((code) => [code, { code, slug: `fj${code.slice(1)}`, ...table[code] }]),
);

export function isCourtCode(value: string): value is CourtCode {
  return courts.has(value);
}

export function courtOf(code: CourtCode): Court {
  return courts.get(code)!;
}
