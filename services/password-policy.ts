import { badRequest, type DomainError } from "./errors";
import { describeFieldErrors } from "./validation";

/**
 * The password policy, in one place: the request schemas validate and document it
 * (`newPassword` in accounts.schemas.ts), and the services check it again where they
 * know whose password it is (not equal to the username or email). Every rule that fails
 * is named, so that one answer tells everything to fix.
 */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** A letter and a digit of any script, as the JSON Schema `pattern` of the OpenAPI document (ECMA-262, Unicode). */
export const PASSWORD_PATTERN = "^(?=[\\s\\S]*\\p{L})(?=[\\s\\S]*\\p{N})";

/** The problem code of a password the policy refuses. */
export const WEAK_PASSWORD = "weak_password";

const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;

/** Length, a letter, a digit: what the password itself must have. */
export function passwordRuleProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN) problems.push(`must have at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`must have at most ${PASSWORD_MAX} characters`);
  if (!LETTER.test(password)) problems.push("must contain a letter");
  if (!DIGIT.test(password)) problems.push("must contain a digit");
  return problems;
}

/** What the password must not be: the account's own username or email (compared case-insensitively). */
export function passwordIdentityProblems(password: string, identity: { username?: string; email?: string }): string[] {
  const lower = password.toLowerCase();
  const problems: string[] = [];
  if (identity.username && lower === identity.username.toLowerCase()) problems.push("must not equal the username");
  if (identity.email && lower === identity.email.toLowerCase()) problems.push("must not equal the email");
  return problems;
}

/** Every reason the policy refuses `password`; empty when it passes. */
export function passwordProblems(password: string, identity: { username?: string; email?: string } = {}): string[] {
  return [...passwordRuleProblems(password), ...passwordIdentityProblems(password, identity)];
}

/** 400 `weak_password` naming every reason, as the schemas' own check does. */
export function weakPassword(problems: string[], field = "password"): DomainError {
  const errors = problems.map((message) => ({ field, message }));
  return badRequest(WEAK_PASSWORD, describeFieldErrors(errors), errors);
}
