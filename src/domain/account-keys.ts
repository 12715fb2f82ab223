// One normalisation for everything that identifies an account by what a person types: the unique indexes
// (users.email_key, users.username_key), every lookup by a typed email or username, and the per-email login limit.
// PostgreSQL's lower() and JavaScript's toLowerCase() disagree on characters such as 'İ', so each of them in its
// own place let one account be counted under several names; the key is therefore computed here only.

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const COMBINING_MARK = /\p{M}/gu;

/**
 * The key under which an email or username is unique, looked up and rate-limited: two texts with the same key
 * name the same account. It is the text
 * 1. in NFKC (full-width 'ｕ' is 'u', the Kelvin sign 'K' is 'K', 'ſ' is 's', the ligature 'ﬁ' is 'fi');
 * 2. without default-ignorable code points (zero-width space and joiners, soft hyphen), as Unicode's
 *    NFKC_Casefold drops them;
 * 3. lower-cased, upper-cased and lower-cased again, by Unicode's full, locale-free mappings, with every final
 *    sigma 'ς' made 'σ': 'ß' and 'ẞ' (which lower-cases to 'ß') are 'ss', dotless 'ı' is 'i';
 * 4. decomposed (NFD), stripped of every combining mark (\p{M}), and recomposed (NFC): 'İ', which lower-cases
 *    to 'i' + U+0307, is 'i'; 'é' is 'e';
 * 5. with surrounding white space trimmed (last, because a compatibility form such as U+0384 leaves a space
 *    before the mark that step 4 removes).
 * The key is never shown or stored in place of what was typed. Applying it twice gives the same key.
 */
export function accountKey(text: string): string {
  const compatible = text.normalize('NFKC').replace(DEFAULT_IGNORABLE, '');
  const folded = compatible.toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ');
  return folded.normalize('NFD').replace(COMBINING_MARK, '').normalize('NFC').trim();
}
