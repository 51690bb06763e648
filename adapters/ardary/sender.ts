// Ardary's rule for an alphanumeric sender name (the operators' rule, which Ardary applies):
// 3 to 11 characters, letters A–Z (no accents) and digits only, at least one letter. Checked at
// boot (ARDARY_SENDER_NAME) and when a route names a sender (`--sender`), so that a name Ardary
// would refuse never reaches it.

import type { Language } from "../../src/contracts/index.ts";

const SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/;

/**
 * Why Ardary would refuse `name` as a sender name, naming the rule, in the bridge's language
 * (BRIDGE_LANGUAGE; English unless given); undefined when it takes it.
 */
export function senderProblem(name: string, language?: Language): string | undefined {
  if (SENDER.test(name)) return undefined;
  if (language === "fr")
    return `« ${name} » ne peut pas être un nom d'expéditeur SMS : Ardary et les opérateurs acceptent de 3 à 11 caractères, lettres (A-Z, sans accents) et chiffres uniquement, avec au moins une lettre (par ex. AcmeUK)`;
  return `"${name}" cannot be an SMS sender name: Ardary and the operators take 3 to 11 characters, letters (A-Z, no accents) and digits only, with at least one letter (e.g. AcmeUK)`;
}
