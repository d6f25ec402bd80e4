import { z } from 'zod';

export const Channel = z
  .enum(['hotline_12345', 'wechat', 'court'])
  .describe(
    'The channel the dispute arrived through: `hotline_12345` (a work order of the 12345 government service hotline), `wechat` (a mediation application filed on the WeChat official account or its QR-code form), `court` (a court referral for pre-litigation mediation, 诉前调解).',
  );
export type Channel = z.infer<typeof Channel>;

export const CategoryCode = z
  .enum([
    'marriage_family',
    'neighborhood',
    'housing_homestead',
    'contract',
    'business',
    'damages',
    'land_forest',
    'land_acquisition',
    'environment',
    'labor',
    'consumer',
    'medical',
    'traffic',
    'property_mgmt',
    'other',
  ])
  .describe(
    "The dispute's category, one of the standard people's-mediation categories (人民调解纠纷类别): marriage_family (marriage, family, support, inheritance), neighborhood, housing_homestead (houses and homestead land), contract, business (partnerships and trade), damages (compensation for harm), land_forest (land and forest rights), land_acquisition (land acquisition and demolition), environment, labor (employment, unpaid wages), consumer, medical, traffic (road accidents), property_mgmt (residential property management), other.",
  );
export type CategoryCode = z.infer<typeof CategoryCode>;

export const DepartmentKind = z
  .enum([
    'judicial_office',
    'police_station',
    'public_security_bureau',
    'court',
    'labor_inspection',
    'governance_center',
    'petition_bureau',
    'housing_construction',
    'market_regulation',
    'health_commission',
    'natural_resources',
    'forestry',
    'traffic_police',
    'township_government',
    'ecology_environment',
    'women_federation',
    'justice_bureau',
    'governance_office',
  ])
  .describe(
    'What kind of body the department is: judicial_office 司法所, police_station 派出所, public_security_bureau 公安局, court 法院, labor_inspection 劳动保障监察, governance_center 综治中心, petition_bureau 信访局, housing_construction 住建, market_regulation 市场监管, health_commission 卫健委, natural_resources 自然资源, forestry 林业, traffic_police 交警, township_government 乡镇政府, ecology_environment 生态环境, women_federation 妇联, justice_bureau 司法局, governance_office 综治办.',
  );
export type DepartmentKind = z.infer<typeof DepartmentKind>;

export const Level = z
  .enum(['city', 'county', 'township'])
  .describe(
    'A level of the secretary express lane (书记直通车), lowest to highest: `township` (the town party secretary), `county` (the district or county secretary), `city` (the city secretary).',
  );
export type Level = z.infer<typeof Level>;

/** The express lane's levels, lowest first. */
export const levelRank: Record<Level, number> = { township: 0, county: 1, city: 2 };
/** A case's place on the lane: not on it (null) is below every level. */
export const laneRank = (level: Level | null): number => (level === null ? -1 : levelRank[level]);

export const Severity = z
  .enum(['normal', 'major'])
  .describe(
    '`major` when a routing rule judged the dispute serious (many people involved, 500,000 yuan or more at stake, a threat of an extreme act, a court-related dispute reported again): it also enters the secretary express lane. Otherwise `normal`.',
  );
export type Severity = z.infer<typeof Severity>;

export const DivisionCode = z
  .string()
  .regex(/^\d{6}(\d{3}(\d{3})?)?$/, 'a 6, 9 or 12 digit division code')
  .describe(
    'An administrative division code as the National Bureau of Statistics writes it: 6 digits for a city or county/district (350800 龙岩市, 350802 新罗区), 9 for a town or subdistrict (350802107 江山镇), 12 for a village.',
  );

/**
 * A division of the city the channels serve (Longyan, 3508…): what a channel says of a place is
 * refused outside it, not filed in the city's triage for an operator to find.
 */
export const CityDivisionCode = DivisionCode.refine(
  (code) => code.startsWith('3508'),
  'must be a division of Longyan (3508…)',
);

/** The most specific division a place is known by: its town, else its county, else its city. */
export function mostSpecificDivision<C extends string | null>(place: {
  townCode?: string | null | undefined;
  countyCode?: string | null | undefined;
  cityCode: C;
}): string | C {
  return place.townCode ?? place.countyCode ?? place.cityCode;
}

/**
 * The earliest moment the platform takes in, at its edges: 1900-01-01 in China. Nothing it records
 * happened before, and a "no date" a legacy system writes (.NET's DateTime.MinValue, 0001-01-01) is
 * year 0 in UTC, which PostgreSQL refuses: such a report was acknowledged, then never stored.
 */
export const earliestInstant = {
  ms: Date.UTC(1899, 11, 31, 16),
  reason: 'must be 1900-01-01 (China time) or later',
};

/**
 * The earliest moment an event may carry: PostgreSQL has no year 0, so 0001-01-01 UTC. Not the
 * edges' 1900: an event may carry what was stored before the edges said so (a corrected case
 * publishes its first report again), and a v1 contract only widens.
 */
const storableInstant = {
  // Not Date.UTC(1, 0, 1): it reads years 0 to 99 as 1900 to 1999.
  ms: Date.parse('0001-01-01T00:00:00Z'),
  reason: 'must be 0001-01-01T00:00:00Z or later (PostgreSQL has no year 0)',
};

/**
 * A moment on the wire, described for the reader with its format: ISO 8601 with an offset, so
 * nobody has to guess the time zone. Every time field goes through here so they all say the same.
 */
export const instant = (description: string) =>
  z.iso
    .datetime({ offset: true })
    // A value that is no date-time at all has the format's reason alone (NaN is not before).
    .refine((value) => !(Date.parse(value) < storableInstant.ms), storableInstant.reason)
    .describe(
      `${description} ISO 8601 date-time with an offset: the platform writes UTC (…Z); times a channel gave may carry +08:00 (Beijing time).`,
    );
