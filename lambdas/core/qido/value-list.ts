/** The values of a list match (`A\B` as PS3.4 C.2.2.2.2 writes it, or `A,B` as PS3.18 8.3.4.1 allows), trimmed. */
export const listValues = (value: string): string[] => value.split(/[\\,]/).map((v) => v.trim()).filter(Boolean);
