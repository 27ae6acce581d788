/**
 * axe-core in a person's page, as the suites run it on every screen: only
 * violations, one line per rule and element, named by screen and person, so
 * that a test can collect them all and show them at once. The goal is none.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Person } from './people.js';

export async function axeViolations(person: Person, screen: string): Promise<string[]> {
  // Only violations are collected: far less work than the full report, on a busy machine.
  const { violations } = await new AxeBuilder({ page: person.page }).options({ resultTypes: ['violations'] }).analyze();
  return violations.flatMap((v) => v.nodes.map((node) => `${screen} (${person.name}): ${v.id} [${v.impact}] ${node.target.join(' ')}: ${v.help}`));
}
