/**
 * The case number (案件编号) people quote — the express-lane SMS and the overview give it: the
 * case id's first 8 characters.
 */
export const isCaseNumber = (text: string) => /^[0-9a-f]{8}$/i.test(text);

/** A whole case id as the CSV export and the API give it (a UUID, in either case). */
export const isCaseId = (text: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
