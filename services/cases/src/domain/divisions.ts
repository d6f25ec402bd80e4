import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import {
  type Gazetteer,
  loadGazetteer,
  loadGazetteerData,
  type PlaceResult,
} from '@huijie/routing/domain/gazetteer.ts';
import { placeOf } from '@huijie/routing/domain/router.ts';
import { badRequest } from '@huijie/service-kit/errors.ts';

export interface Division {
  code: string;
  name: string;
}

interface KnownDivisions {
  city: Division;
  codes: Set<string>;
  towns: Set<string>;
  /** The city, its counties and its towns (named with their county: 新罗区江山镇), by code. */
  jurisdictions: Map<string, Division>;
}

const loaded = new Map<string, KnownDivisions>();

/** The divisions routing places cases in (its gazetteer extract), read once per city. */
function divisionsOf(cityCode: string): KnownDivisions {
  let known = loaded.get(cityCode);
  if (!known) {
    const data = loadGazetteerData(cityCode);
    const towns = new Set(data.towns.map(([code]) => code));
    const counties = new Map(data.counties);
    const named = new Map<string, Division>([[data.city.code, data.city]]);
    for (const [code, name] of data.counties) named.set(code, { code, name });
    for (const [code, name] of data.towns) {
      named.set(code, { code, name: `${counties.get(code.slice(0, 6)) ?? ''}${name}` });
    }
    known = {
      jurisdictions: named,
      city: data.city,
      codes: new Set([
        data.city.code,
        ...data.counties.map(([code]) => code),
        ...towns,
        ...data.villages.map(([code]) => code),
      ]),
      towns,
    };
    loaded.set(cityCode, known);
  }
  return known;
}

/**
 * A division code an operator names must be one routing knows: an unknown one (a typo, another
 * city's) is not refused by routing, which falls back to the report's address and decides as if
 * no correction had been made, while the history says the case was moved. A village newer than the
 * extract is taken, as routing takes it: its town, known, is where the case goes. The city's own
 * code is refused too: it names no county.
 */
export function assertKnownDivision(code: string, field: string, cityCode = '350800'): void {
  const { city, codes, towns } = divisionsOf(cityCode);
  // Routing reads the city's own code as "no county named" and falls back to the address as well.
  if (code === city.code) {
    throw badRequest([
      { field, reason: `${city.name} as a whole is no place to route to: give a county or a town` },
    ]);
  }
  if (codes.has(code) || (code.length === 12 && towns.has(code.slice(0, 9)))) return;
  throw badRequest([{ field, reason: `not a division of ${city.name} (${city.code})` }]);
}

/** The divisions an operator's scope may be: the city, its counties and towns (routing's gazetteer). */
export function jurisdictions(cityCode = '350800'): Map<string, Division> {
  return divisionsOf(cityCode).jurisdictions;
}

const gazetteers = new Map<string, Gazetteer>();

/**
 * Where a report is, as routing will place it (its division code, a court's county, its address,
 * its words): the place of a case routing has not decided on yet, such as a report an operator
 * detached into a case of its own, never the place of another case.
 */
export function reportedPlace(dispute: DisputeReceivedV1, cityCode = '350800'): PlaceResult {
  let gazetteer = gazetteers.get(cityCode);
  if (!gazetteer) {
    gazetteer = loadGazetteer(cityCode);
    gazetteers.set(cityCode, gazetteer);
  }
  return placeOf(gazetteer, dispute);
}
