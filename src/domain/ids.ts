/** Ids are 64 lowercase hex characters, like Docker's; any unique prefix names one, as in Docker. */
export const idPattern = /^[0-9a-f]{64}$/;
const minIdPrefix = 1;

export const isId = (s: string): boolean => idPattern.test(s);
export const isIdPrefix = (s: string): boolean => s.length >= minIdPrefix && s.length <= 64 && /^[0-9a-f]+$/.test(s);
export const shortId = (id: string): string => id.slice(0, 12);
