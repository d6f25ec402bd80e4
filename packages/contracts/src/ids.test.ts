import { describe, expect, it } from 'vitest';
import { caseIdOpenedBy, disputeIdFor, intakeEventId, uuidv5 } from './ids.ts';

describe('uuidv5', () => {
  it('matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('gives a retried push the same dispute id, and another channel a different one', () => {
    expect(disputeIdFor('hotline_12345', 'GD-2024-001')).toBe(disputeIdFor('hotline_12345', 'GD-2024-001'));
    expect(disputeIdFor('hotline_12345', 'GD-2024-001')).not.toBe(disputeIdFor('court', 'GD-2024-001'));
  });
});

describe('intakeEventId', () => {
  it('is the same for the same revision of the same dispute, and differs between revisions', () => {
    const disputeId = disputeIdFor('hotline_12345', 'GD20240824001');
    expect(intakeEventId(disputeId, 1)).toBe(intakeEventId(disputeId, 1));
    expect(intakeEventId(disputeId, 2)).not.toBe(intakeEventId(disputeId, 1));
  });
});

describe('caseIdOpenedBy', () => {
  it('is the id the cases service gives the case a report opens, always the same: notify names it before it hears of the case', () => {
    expect(caseIdOpenedBy('6f1c2b9e-8d1a-5c3e-9f0a-1b2c3d4e5f60')).toBe(
      'a51d1639-24ac-594f-9242-3fcae5289d5f',
    );
  });
});
