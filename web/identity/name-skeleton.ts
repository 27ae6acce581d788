/**
 * The skeleton of a display name (after Unicode's UTS #39, section 4): what it looks like, so that two
 * names that look alike compare equal. "Bob", "bob", "Bob\u200B", "Воb" (Cyrillic В and о) and "Ｂｏｂ" all
 * give "bob". A device that joins with a new key under a name whose skeleton is that of someone met here is
 * not told apart from them by the name alone: the app says so (room-session.ts).
 *
 * The mapping of look-alike letters is the part of UTS #39's confusables table for the scripts whose letters
 * pass for Latin ones (Cyrillic, Greek, Armenian, Cherokee, Latin's own variants, digits and signs), not the
 * whole table (6,000 lines, most of it for scripts no one mistakes for Latin in a name): the app would carry
 * it on first load for one comparison.
 */

/** Look-alike letters, each to the Latin letter (or letters) it passes for. */
const LOOKS_LIKE: Record<string, string> = {
  // Cyrillic
  А: 'A', а: 'a', В: 'B', в: 'b', Е: 'E', е: 'e', Ѕ: 'S', ѕ: 's', І: 'I', і: 'i', Ј: 'J', ј: 'j', К: 'K', к: 'k',
  М: 'M', м: 'm', Н: 'H', н: 'h', О: 'O', о: 'o', Р: 'P', р: 'p', С: 'C', с: 'c', Т: 'T', т: 't', У: 'Y', у: 'y',
  Х: 'X', х: 'x', Ԁ: 'D', ԁ: 'd', Ԛ: 'Q', ԛ: 'q', Ԝ: 'W', ԝ: 'w', Һ: 'H', һ: 'h', Ӏ: 'l', ӏ: 'l', Ү: 'Y', ү: 'y',
  Ь: 'b', ь: 'b', Ꙇ: 'l', ɡ: 'g',
  // Greek
  Α: 'A', α: 'a', Β: 'B', β: 'b', Ε: 'E', ε: 'e', Ζ: 'Z', Η: 'H', Ι: 'l', ι: 'i', Κ: 'K', κ: 'k', Μ: 'M', Ν: 'N',
  ν: 'v', Ο: 'O', ο: 'o', Ρ: 'P', ρ: 'p', Τ: 'T', τ: 't', Υ: 'Y', υ: 'u', Χ: 'X', χ: 'x', Ϲ: 'C', ϲ: 'c', Ϳ: 'J',
  // Armenian and Cherokee letters that pass for Latin
  օ: 'o', ս: 'u', ց: 'g', հ: 'h', ո: 'n', զ: 'q', Ꭺ: 'A', Ᏼ: 'B', Ꮯ: 'C', Ꭼ: 'E', Ꮋ: 'H', Ꭻ: 'J', Ꮶ: 'K', Ꮇ: 'M',
  Ꮲ: 'P', Ꭲ: 'T', Ꮃ: 'W', Ꮪ: 'S', Ꮓ: 'Z',
  // Latin variants, digits and signs
  ı: 'i', ȷ: 'j', ɑ: 'a', ɩ: 'i', ʟ: 'l', ɪ: 'l', ᴏ: 'o', ᴄ: 'c', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z', ƅ: 'b', Ɩ: 'l',
  I: 'l', '1': 'l', '|': 'l', '0': 'O', '5': 'S', '@': 'a', '$': 'S',
};

/** Invisible characters and marks: they change nothing a person sees. */
const INVISIBLE = /[\p{M}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

export function nameSkeleton(name: string): string {
  const letters = [...name.normalize('NFKD').replace(INVISIBLE, '')].map((char) => LOOKS_LIKE[char] ?? char).join('');
  return letters
    .toLowerCase()
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Whether two names look alike. */
export function looksLike(a: string, b: string): boolean {
  return nameSkeleton(a) === nameSkeleton(b);
}
