import { z } from 'zod';

/**
 * An agreed amount as a case keeps it (outcome_amount, DECIMAL(14,2)): yuan to the fen, at most
 * 999,999,999,999.99. A fraction of a fen would be rounded there, unlike what the citizen, the
 * hotline and the court are told; a larger sum cannot be written (a 500 to the operator, a record
 * of the import that fails in the consumer). Checked where amounts come in, the operator's outcome
 * and the historical import: the event contracts stay as they are (additive changes only within a
 * version), so events already written still read.
 */
export const AgreedAmount = z
  .number()
  .nonnegative()
  .multipleOf(0.01, 'yuan with at most two decimals (fen)')
  .max(999_999_999_999.99, 'at most 999,999,999,999.99 yuan');
