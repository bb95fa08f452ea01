/**
 * Where a quote that is not in the source text departs from it. A quote is
 * checked verbatim, and in Chinese text the likeliest slip is a character
 * that looks alike: a half-width comma for a full-width one, a space, a
 * different dash. Saying which character, where, and naming both is the fix.
 */

/** Where a quote departs from the nearest passage of the source. */
export interface Departure {
  /** The passage of the source the quote follows longest (cut short when long). */
  readonly passage: string;
  /** 1-based position, in characters, of the first character of the quote that differs. */
  readonly position: number;
  /** That character of the quote, and the source's at the same place (undefined where the source ends). */
  readonly quoted: string;
  readonly found: string | undefined;
}

/** Characters of a quote that must match before a passage counts as near. */
const NEAR = 4;
/** The most characters of a passage a message shows. */
const SHOWN = 40;

/**
 * Where `quote` departs from the passage of `source` it follows longest, from its start or, failing
 * that, from its end; undefined when it is in the source, or follows no passage for NEAR characters.
 */
export function departure(quote: string, source: string): Departure | undefined {
  if (source.includes(quote)) return undefined;
  const chars = Array.from(quote);
  // The longest start (and end) of the quote found in the source: found lengths are a prefix of 0..n.
  const longest = (found: (n: number) => boolean) => {
    let lo = 0;
    let hi = chars.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (found(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const head = longest((n) => source.includes(chars.slice(0, n).join('')));
  const tail = longest((n) => source.includes(chars.slice(chars.length - n).join('')));
  if (Math.max(head, tail) < Math.min(NEAR, chars.length - 1)) return undefined;
  const cut = (text: string) => {
    const shown = Array.from(text);
    return shown.length > SHOWN ? `${shown.slice(0, SHOWN).join('')}…` : text;
  };
  if (head >= tail) {
    const start = source.indexOf(chars.slice(0, head).join(''));
    const rest = Array.from(source.slice(start));
    return { passage: cut(rest.slice(0, chars.length).join('')), position: head + 1, quoted: chars[head]!, found: rest[head] };
  }
  // The quote's end is in the source: it departs just before that end.
  const end = chars.slice(chars.length - tail).join('');
  const at = source.indexOf(end);
  const before = Array.from(source.slice(0, at));
  const passage = [...before.slice(Math.max(0, before.length - (chars.length - tail))), ...Array.from(end)].join('');
  const index = chars.length - tail - 1;
  return { passage: cut(passage), position: index + 1, quoted: chars[index]!, found: before.at(-1) };
}

/** Names of the characters that are most often confused in quotes; others are named by their code point. */
const NAMES: Readonly<Record<string, string>> = {
  ',': 'COMMA', '，': 'FULLWIDTH COMMA', '、': 'IDEOGRAPHIC COMMA',
  '.': 'FULL STOP', '。': 'IDEOGRAPHIC FULL STOP', '．': 'FULLWIDTH FULL STOP',
  ':': 'COLON', '：': 'FULLWIDTH COLON', ';': 'SEMICOLON', '；': 'FULLWIDTH SEMICOLON',
  '!': 'EXCLAMATION MARK', '！': 'FULLWIDTH EXCLAMATION MARK', '?': 'QUESTION MARK', '？': 'FULLWIDTH QUESTION MARK',
  '(': 'LEFT PARENTHESIS', ')': 'RIGHT PARENTHESIS', '（': 'FULLWIDTH LEFT PARENTHESIS', '）': 'FULLWIDTH RIGHT PARENTHESIS',
  '"': 'QUOTATION MARK', '“': 'LEFT DOUBLE QUOTATION MARK', '”': 'RIGHT DOUBLE QUOTATION MARK',
  "'": 'APOSTROPHE', '‘': 'LEFT SINGLE QUOTATION MARK', '’': 'RIGHT SINGLE QUOTATION MARK',
  '「': 'LEFT CORNER BRACKET', '」': 'RIGHT CORNER BRACKET', '『': 'LEFT WHITE CORNER BRACKET', '』': 'RIGHT WHITE CORNER BRACKET',
  '-': 'HYPHEN-MINUS', '–': 'EN DASH', '—': 'EM DASH', '－': 'FULLWIDTH HYPHEN-MINUS', '~': 'TILDE', '～': 'FULLWIDTH TILDE',
  '%': 'PERCENT SIGN', '％': 'FULLWIDTH PERCENT SIGN', '·': 'MIDDLE DOT', '・': 'KATAKANA MIDDLE DOT',
  ' ': 'SPACE', '\u3000': 'IDEOGRAPHIC SPACE', '\u00a0': 'NO-BREAK SPACE',
};

/** A character as a message shows it: itself in quotes, and its name. */
export function characterName(char: string): string {
  const cp = char.codePointAt(0)!;
  const name = NAMES[char] ?? (/^[０-９]$/.test(char) ? `FULLWIDTH DIGIT ${char.charCodeAt(0) - 0xff10}` : /^[0-9]$/.test(char) ? `DIGIT ${char}` : undefined);
  const shown = /\s/.test(char) ? '' : `"${char}" `;
  return `${shown}(${name ?? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`})`;
}
