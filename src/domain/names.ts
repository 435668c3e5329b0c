import { invalid } from "./errors.js";

/** libnetwork's name rule (config.ValidateName): a letter or digit, then letters, digits, `_`, `.`, `-`. */
const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const maxNameLength = 64;

export function validateName(kind: string, name: string): void {
  if (name.length === 0) throw invalid(`${kind} name must not be empty`);
  if (name.length > maxNameLength)
    throw invalid(`${kind} name ${JSON.stringify(name)} is too long: ${name.length} characters, at most ${maxNameLength}`);
  if (!namePattern.test(name))
    throw invalid(
      `invalid ${kind} name ${JSON.stringify(name)}: it must start with a letter or digit and contain only letters, digits, "_", "." and "-"`,
    );
}

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= maxNameLength && namePattern.test(name);
}
