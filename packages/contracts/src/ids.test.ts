import { describe, expect, it } from 'vitest';
import { disputeIdFor, intakeEventId, uuidv5 } from './ids.ts';

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
