/**
 * The keys of every JSON object in source order — what JSON.parse cannot tell (JavaScript
 * reorders integer-like keys). Used to check that DICOM JSON attributes are sorted by tag.
 */
export function objectKeySequences(text: string): string[][] {
  const sequences: string[][] = [];
  const stack: ({ keys: string[]; expectKey: boolean } | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const top = stack.at(-1);
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top && top.expectKey) {
        top.keys.push(JSON.parse(text.slice(i, end + 1)) as string);
        top.expectKey = false;
      }
      i = end;
    } else if (c === '{') stack.push({ keys: [], expectKey: true });
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') {
      const closed = stack.pop();
      if (closed) sequences.push(closed.keys);
    } else if (c === ',' && top) top.expectKey = true;
  }
  return sequences;
}

/** Every object whose keys are all DICOM tags lists them in ascending order. */
export function tagKeysAscending(text: string): boolean {
  return objectKeySequences(text)
    .filter((keys) => keys.length > 0 && keys.every((key) => /^[0-9A-F]{8}$/.test(key)))
    .every((keys) => keys.every((key, i) => i === 0 || keys[i - 1]! < key));
}
