/**
 * Specific Character Set (0008,0005) with ISO 2022 code extensions (PS3.3 C.12.1.1.2,
 * PS3.5 6.1.2.5): dcmjs decodes single character sets but leaves ISO 2022 escape sequences
 * in the text (its strings then hold one character per byte). This finishes the job, so
 * names like `Yamada^Tarou=山田^太郎=やまだ^たろう` reach the index and JSON as Unicode.
 */

type CodeSet = 'ascii' | 'jisRoman' | 'katakana' | 'jis0208' | 'jis0212' | 'ksx1001' | 'latin1' | 'cyrillic' | 'greek' | 'gb2312';

const ESCAPES: [string, 0 | 1, CodeSet][] = [
  ['\x1b(B', 0, 'ascii'],
  ['\x1b(J', 0, 'jisRoman'],
  ['\x1b)I', 1, 'katakana'],
  ['\x1b$B', 0, 'jis0208'],
  ['\x1b$(D', 0, 'jis0212'],
  ['\x1b$)C', 1, 'ksx1001'],
  ['\x1b$)A', 1, 'gb2312'],
  ['\x1b-A', 1, 'latin1'],
  ['\x1b-L', 1, 'cyrillic'],
  ['\x1b-F', 1, 'greek'],
];

const INITIAL: Record<string, [CodeSet, CodeSet | undefined]> = {
  '': ['ascii', undefined],
  'ISO 2022 IR 6': ['ascii', undefined],
  'ISO 2022 IR 13': ['jisRoman', 'katakana'],
  'ISO 2022 IR 87': ['ascii', undefined],
  'ISO 2022 IR 100': ['ascii', 'latin1'],
  'ISO 2022 IR 144': ['ascii', 'cyrillic'],
  'ISO 2022 IR 126': ['ascii', 'greek'],
  'ISO 2022 IR 149': ['ascii', 'ksx1001'],
  'ISO 2022 IR 58': ['ascii', 'gb2312'],
};

const decoders: Partial<Record<CodeSet, InstanceType<typeof TextDecoder>>> = {};
const decoder = (label: string, set: CodeSet) => (decoders[set] ??= new TextDecoder(label));

/** Whether the character sets use ISO 2022 code extensions (more than one, or an `ISO 2022` term). */
export function usesCodeExtensions(charsets: string[]): boolean {
  return charsets.length > 1 || charsets.some((c) => c.startsWith('ISO 2022'));
}

/** Decodes text whose characters are the value's bytes, switching sets at escape sequences. */
export function decodeIso2022(text: string, charsets: string[]): string {
  const [initialG0, initialG1] = INITIAL[charsets[0] ?? ''] ?? ['ascii', undefined];
  let g0: CodeSet = initialG0;
  let g1: CodeSet | undefined = initialG1;
  let out = '';
  let run = '';
  const flush = () => {
    if (run) out += decodeRun(run, g0, g1);
    run = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\x1b') {
      const escape = ESCAPES.find(([sequence]) => text.startsWith(sequence, i));
      if (escape) {
        flush();
        if (escape[1] === 0) g0 = escape[2];
        else g1 = escape[2];
        i += escape[0].length - 1;
        continue;
      }
    }
    const multiByteG0 = g0 === 'jis0208' || g0 === 'jis0212';
    if (!multiByteG0 && (c === '^' || c === '=' || c === '\\' || c === '\r' || c === '\n')) {
      // Delimiters are ASCII (a two-byte set is switched off before them), and G0 returns
      // to its initial set after them.
      flush();
      out += c;
      g0 = initialG0;
      continue;
    }
    run += c;
  }
  flush();
  return out;
}

function decodeRun(run: string, g0: CodeSet, g1: CodeSet | undefined): string {
  let out = '';
  let index = 0;
  while (index < run.length) {
    const high = run.charCodeAt(index) >= 0x80;
    let end = index;
    while (end < run.length && run.charCodeAt(end) >= 0x80 === high && run.charCodeAt(end) <= 0xff) end++;
    if (end === index) {
      out += run[index]; // already Unicode (decoded by dcmjs)
      index++;
      continue;
    }
    const bytes = Buffer.from(run.slice(index, end), 'latin1');
    out += high ? decodeG1(bytes, g1) : decodeG0(bytes, g0);
    index = end;
  }
  return out;
}

function decodeG0(bytes: Buffer, set: CodeSet): string {
  if (set === 'jis0208') return decoder('iso-2022-jp', set).decode(Buffer.concat([Buffer.from('\x1b$B', 'latin1'), bytes]));
  if (set === 'jis0212') return bytes.toString('latin1'); // not decodable with WHATWG decoders; kept as is
  return bytes.toString('latin1');
}

function decodeG1(bytes: Buffer, set: CodeSet | undefined): string {
  switch (set) {
    case 'katakana':
      return [...bytes].map((b) => (b >= 0xa1 && b <= 0xdf ? String.fromCharCode(0xff61 + b - 0xa1) : String.fromCharCode(b))).join('');
    case 'ksx1001':
      return decoder('euc-kr', set).decode(bytes);
    case 'gb2312':
      return decoder('gbk', set).decode(bytes);
    case 'cyrillic':
      return decoder('iso-8859-5', set).decode(bytes);
    case 'greek':
      return decoder('iso-8859-7', set).decode(bytes);
    default:
      return bytes.toString('latin1');
  }
}
