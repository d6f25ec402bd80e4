import { type GazetteerData, loadGazetteerData } from '@huijie/routing/domain/gazetteer.ts';

export interface Town {
  /** The 9-digit NBS code: what a township's QR code carries and what routing places a dispute by. */
  code: string;
  name: string;
  countyCode: string;
  countyName: string;
  /** 新罗区江山镇: town names repeat inside Longyan (万安镇, 新桥镇), so people are shown the county too. */
  label: string;
}

export interface TownDirectory {
  cityName: string;
  get(code: string): Town | undefined;
  /** Every town, grouped by county in the gazetteer's order: the form's town picker. */
  byCounty(): { countyCode: string; countyName: string; towns: Town[] }[];
}

/** The towns of one city, from routing's committed gazetteer extract (the one place division codes come from). */
export function townDirectory(data: GazetteerData = loadGazetteerData()): TownDirectory {
  const counties = new Map(data.counties);
  const towns = new Map<string, Town>();
  for (const [code, name] of data.towns) {
    const countyCode = code.slice(0, 6);
    const countyName = counties.get(countyCode) ?? '';
    towns.set(code, { code, name, countyCode, countyName, label: countyName + name });
  }
  const grouped = data.counties.map(([countyCode, countyName]) => ({
    countyCode,
    countyName,
    towns: [...towns.values()].filter((town) => town.countyCode === countyCode),
  }));
  return {
    cityName: data.city.name,
    get: (code) => (/^\d{9}$/.test(code) ? towns.get(code) : undefined),
    byCounty: () => grouped,
  };
}
