// Pins the catalogue of excluded causes: every cause Kerio ToS 2.3 a-g and Cryptzone §7 / §10 name has a stable id,
// a Slack-sized label and one fixed customer sentence.
import { describe, expect, it } from 'vitest';
import { exclusionCatalogue, exclusionCustomerText, exclusionIds, exclusions, isExclusion, type Exclusion } from '../../src/domain/exclusions.ts';

describe('excluded causes named by the terms', () => {
  it.each<{ rule: string; clause: string; id: Exclusion }>([
    { rule: 'violation of the EULA or Hardware Sale Agreement', clause: 'Kerio 2.3(a)', id: 'eula-breach' },
    { rule: 'accident, force majeure', clause: 'Kerio 2.3(b)', id: 'force-majeure' },
    { rule: 'unusual electrical stress, failure of electric power, air conditioning or humidity control', clause: 'Kerio 2.3(b)', id: 'power-environment' },
    { rule: 'neglect, customer negligence', clause: 'Kerio 2.3(b)', id: 'negligence' },
    { rule: 'usage of the product with third party products', clause: 'Kerio 2.3(b)', id: 'third-party' },
    { rule: 'improper installation', clause: 'Kerio 2.3(c)', id: 'improper-installation' },
    { rule: 'improper usage deviating from the documentation', clause: 'Kerio 2.3(d)', id: 'misuse' },
    { rule: 'modification by non-vendor personnel', clause: 'Kerio 2.3(e)', id: 'unsupported-modification' },
    { rule: 'faulty or damaged hardware or media', clause: 'Kerio 2.3(f)', id: 'hardware' },
    { rule: 'other reasons not related to the products', clause: 'Kerio 2.3(g)', id: 'other' },
    { rule: 'faulty hardware or hardware failure', clause: 'Cryptzone §7(1)', id: 'hardware' },
    { rule: "the client's application developed using the software", clause: 'Cryptzone §7(2)', id: 'custom-application' },
    { rule: 'combination with products not furnished by the vendor', clause: 'Cryptzone §7(3)', id: 'third-party' },
    { rule: 'modified or altered version', clause: 'Cryptzone §7(4)', id: 'unsupported-modification' },
    { rule: 'a version other than the supported versions', clause: 'Cryptzone §7(5)', id: 'unsupported-version' },
    { rule: 'use not in accordance with the License Agreement', clause: 'Cryptzone §7(6)', id: 'eula-breach' },
    { rule: 'negligence or wilful misconduct', clause: 'Cryptzone §7(7)', id: 'negligence' },
    { rule: 'natural disaster, lightning, power cut, flood, fire, strike, war', clause: 'Cryptzone §10', id: 'force-majeure' },
    { rule: 'change to the environment, files or databases', clause: 'Cryptzone §10', id: 'environment-change' },
    { rule: 'deployment advice is consultancy', clause: 'Cryptzone §10', id: 'consultancy' },
    { rule: 'off-appliance configuration data, scripts and backups', clause: 'Cryptzone §10', id: 'customer-data' },
    { rule: 'VM host hardware and software, VM software', clause: 'Cryptzone §2.4.2', id: 'virtual-host' },
  ])('$clause: $rule → $id', ({ clause, id }) => {
    expect(isExclusion(id)).toBe(true);
    expect(exclusionCatalogue[id].clauses).toContain(clause);
  });

  it('ids stored on closed tickets before this catalogue are still known', () => {
    for (const id of ['misuse', 'third-party', 'unsupported-modification', 'unsupported-version', 'hardware', 'other']) expect(isExclusion(id)).toBe(true);
  });

  it.each(exclusionIds)('%s: a Slack option label (≤ 75 characters) and one customer sentence', (id) => {
    expect(exclusions[id]).toBe(exclusionCatalogue[id].label);
    expect(exclusions[id].length).toBeLessThanOrEqual(75);
    expect(exclusionCustomerText(id)).toMatch(/^[A-Z][^\n]*\.$/);
  });

  it.each(['toString', 'weather', '', undefined, 3])('%s is not an exclusion', (value) => {
    expect(isExclusion(value)).toBe(false);
  });
});
