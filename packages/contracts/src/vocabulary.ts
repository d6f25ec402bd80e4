import { z } from 'zod';

/** Channels a dispute can arrive through. */
export const Channel = z.enum(['hotline_12345', 'wechat', 'court']);
export type Channel = z.infer<typeof Channel>;

/** The standard people's-mediation categories (人民调解纠纷类别). */
export const CategoryCode = z.enum([
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
]);
export type CategoryCode = z.infer<typeof CategoryCode>;

export const DepartmentKind = z.enum([
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
]);
export type DepartmentKind = z.infer<typeof DepartmentKind>;

/** Levels of the secretary express lane (书记直通车) and of jurisdiction scopes. */
export const Level = z.enum(['city', 'county', 'township']);
export type Level = z.infer<typeof Level>;

export const Severity = z.enum(['normal', 'major']);
export type Severity = z.infer<typeof Severity>;

/** Administrative division codes as the NBS writes them: 6 (city/county), 9 (town) or 12 (village) digits. */
export const DivisionCode = z.string().regex(/^\d{6}(\d{3}(\d{3})?)?$/, 'a 6, 9 or 12 digit division code');
