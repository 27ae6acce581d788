/**
 * Bounds that both sides of the wire agree on. The server enforces them; the
 * app uses them to refuse bad input before it is sent.
 */

/** Largest text frame the server accepts; a larger one closes the socket with 1009. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Room ids: URL-safe base64 alphabet. The app makes 22 characters (132 bits of randomness). */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** Peer ids are chosen by the server: URL-safe base64, bounded. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Resume tokens are chosen by the server: 32 random bytes in URL-safe base64. */
export const RESUME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Display names, after trimming: 1 to 40 user-perceived characters. */
export const NAME_MAX_GRAPHEMES = 40;
export const NAME_MAX_CODE_UNITS = 200;

/**
 * Characters a display name may not contain: control characters, line and
 * paragraph separators, bidirectional overrides, and characters that show
 * nothing (zero-width spaces, direction marks, word joiners, soft hyphens,
 * Hangul fillers, the blank Braille pattern): each can make a name look like
 * another one. Joiners (U+200C, U+200D), variation selectors and tag
 * characters stay: emoji and several scripts need them.
 */
export const NAME_FORBIDDEN =
  /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\u2800]|(?![\u200C\u200D\uFE00-\uFE0F\u{E0020}-\u{E007F}\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}/u;

/** Bytes of randomness in a room id made by the app (>= 128 bits). */
export const ROOM_ID_RANDOM_BYTES = 16;

/**
 * A device key: the SHA-256 fingerprint of a device's long-lived DTLS certificate,
 * 64 upper-case hex digits. Announced by the client as a hint; peers verify it
 * against the fingerprint that DTLS proves once they connect.
 */
export const DEVICE_KEY_PATTERN = /^[0-9A-F]{64}$/;

/** Largest push payload: the aes128gcm body a push service must accept (RFC 8030 section 7.2). */
export const PUSH_CIPHERTEXT_MAX_BYTES = 4096;

/** Longest push time-to-live the server passes on: a day. A call's push lives 45 s. */
export const PUSH_MAX_TTL_S = 86_400;

/** Push endpoints are URLs of at most this many characters. */
export const PUSH_ENDPOINT_MAX_LENGTH = 1024;

/** A push's Topic (RFC 8030 section 5.4): up to 32 characters of the URL-safe base64 alphabet. */
export const PUSH_TOPIC_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * A mailbox id: 16 random bytes chosen by the owner's device, base64url without padding (22 characters).
 * Only the canonical spelling: the last character's 4 unused bits are zero.
 */
export const MAILBOX_ID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/**
 * A mailbox's read secret, a write capability, and the SHA-256 of either: 32 bytes, base64url without
 * padding (43 characters, the last one's 2 unused bits zero). The server keeps only the hashes.
 */
export const MAILBOX_SECRET_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** An entry id: 16 random bytes chosen by the server, base64url (22 characters). */
export const MAILBOX_ENTRY_ID_PATTERN = MAILBOX_ID_PATTERN;

/** Writers (hashes of write capabilities) one mailbox may list: one per contact. */
export const MAILBOX_MAX_WRITERS = 256;

/**
 * The sizes a sealed entry may have, in bytes: the app pads each entry to the smallest that holds it, so the
 * server (and whoever watches it) learns a size class, not a length.
 */
export const MAILBOX_ENTRY_BUCKETS = [1024, 4096, 16 * 1024, 64 * 1024] as const;

/** The largest entry: the largest bucket. */
export const MAILBOX_ENTRY_MAX_BYTES: number = MAILBOX_ENTRY_BUCKETS[MAILBOX_ENTRY_BUCKETS.length - 1]!;
