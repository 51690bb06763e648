// Ardary's rule for an alphanumeric sender name (the operators' rule, which Ardary applies):
// 3 to 11 characters, letters A–Z (no accents) and digits only, at least one letter. Checked at
// boot (ARDARY_SENDER_NAME) and when a route names a sender (`--sender`), so that a name Ardary
// would refuse never reaches it.

const SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/;

/** Why Ardary would refuse `name` as a sender name, naming the rule; undefined when it takes it. */
export function senderProblem(name: string): string | undefined {
  if (SENDER.test(name)) return undefined;
  return `"${name}" cannot be an SMS sender name: Ardary and the operators take 3 to 11 characters, letters (A-Z, no accents) and digits only, with at least one letter (e.g. AcmeUK)`;
}
