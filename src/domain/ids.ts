/** Ids are 64 lowercase hex characters, like Docker's; a unique prefix of at least 12 names one. */
export const idPattern = /^[0-9a-f]{64}$/;
const minIdPrefix = 12;

export const isId = (s: string): boolean => idPattern.test(s);
export const isIdPrefix = (s: string): boolean => s.length >= minIdPrefix && s.length <= 64 && /^[0-9a-f]+$/.test(s);
export const shortId = (id: string): string => id.slice(0, 12);
