import { describe, expect, it } from 'vitest';
import { type RepeatEvidence, repeatReason } from './repeats.ts';

const yang: RepeatEvidence = {
  phones: ['13900000001'],
  respondents: ['胡某'],
  category: 'damages',
  townCode: '350803104',
  countyCode: '350803',
};

describe('repeat reports', () => {
  it('the same caller about the same other party is the same matter', () => {
    expect(repeatReason(yang, { ...yang, category: 'contract', townCode: null })).toBe(
      'same caller and same other party',
    );
  });

  it('the same caller, category and town is the same matter even without a named other party', () => {
    expect(repeatReason({ ...yang, respondents: [] }, yang)).toBe(
      'same caller, same category (damages) and place',
    );
  });

  it('without a town, the same county counts as the same place', () => {
    expect(
      repeatReason({ ...yang, respondents: [], townCode: null }, { ...yang, respondents: [] }),
    ).not.toBeNull();
  });

  it('a different caller, or the same caller about something else elsewhere, is a new matter', () => {
    expect(repeatReason({ ...yang, phones: ['13900000002'] }, yang)).toBeNull();
    expect(repeatReason({ ...yang, respondents: [], category: 'labor' }, yang)).toBeNull();
    expect(repeatReason({ ...yang, respondents: [], townCode: '350803105' }, yang)).toBeNull();
  });
});
