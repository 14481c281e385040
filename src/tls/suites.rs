//! The IANA "TLS Cipher Suites" registry as a lookup table, with a coarse
//! classification of every suite, plus the SSL 2.0 cipher specs.
//!
//! # Source
//!
//! [`SUITES`] holds every assigned value of the IANA "TLS Cipher Suites"
//! registry (`tls-parameters-4`,
//! <https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-4>)
//! as of late September 2026: 356 suites, including the Ascon suites
//! 0x006E..=0x0071 assigned in August 2026. Names are IANA's, verbatim, quirks
//! included (0xC0AA/0xC0AB are `TLS_PSK_DHE_WITH_...`, not `TLS_DHE_PSK_...`).
//! Ranges IANA marks "Reserved" or "Unassigned", GREASE values (0x?A?A,
//! RFC 8701) and the private-use block 0xFF00..=0xFFFF are not entries.
//!
//! # How it was checked
//!
//! Transcribed from a current copy of IANA's `tls-parameters-4.csv` (with the
//! Recommended = "D" and Comment columns) and compared, entry by entry, with:
//! a table stated to be generated from the registry on 2026-09-29 (identical);
//! Wireshark 4.0.17's `tls.handshake.ciphersuite` value table (`tshark -G
//! values`); tls-parser 0.12.2's `scripts/tls-ciphersuites.txt`; and an older
//! (2023) copy of the CSV (the first two mechanically, the others by reading
//! them side by side). Apart from 0x1306 (below), every name present in more
//! than one source is spelled identically in all of them; otherwise the
//! sources differ only in which values they list:
//!
//! - Wireshark 4.0.17 also names values that IANA does not assign: 0x001C and
//!   0x001D (`SSL_FORTEZZA_KEA_*`, reserved by IANA to avoid SSLv3 conflicts),
//!   0x0060..=0x0066 (`*_EXPORT1024_*` drafts, reserved), 0x0080..=0x0083
//!   (pre-RFC GOST suites, unassigned), 0xC0FF (`TLS_ECJPAKE_*`, unassigned),
//!   0xCC13..=0xCC15 (pre-RFC 7905 ChaCha20, unassigned), 0xE001..=0xE05A
//!   (Chinese GM/T SM suites, unassigned), 0xE410..=0xE41F (Salsa20 drafts,
//!   unassigned), 0xFEFE/0xFEFF (reserved), 0xFFE0/0xFFE1 (private use) and
//!   the GREASE values. None of these is in the table. It lacks
//!   0x006E..=0x0071 (Ascon) and 0x1306/0x1307 (AEGIS), which are.
//! - tls-parser 0.12.2 lacks the Ascon suites and the GOST suites
//!   0xC100..=0xC106 (RFC 9189, RFC 9367) and lists 0x0060..=0x0066, which
//!   IANA reserves; IANA wins in both directions.
//! - 0x1306 was `TLS_AEGIS_256_SHA384` in the registry until it was renamed
//!   `TLS_AEGIS_256_SHA512` (reference draft-irtf-cfrg-aegis-aead-08); the
//!   current name is used.
//!
//! [`SSL2_SPECS`] holds the seven SSL 2.0 CIPHER-KINDs of the Netscape
//! specification (draft-hickman-netscape-ssl-00), named as Wireshark and
//! OpenSSL name them (`SSL2_...`), plus 0x080080 `SSL2_RC4_64_WITH_MD5`,
//! which is not in the specification but was defined by SSLeay/OpenSSL
//! and is decoded by Wireshark.
//!
//! # Classes
//!
//! The class bits are derived from the name alone by [`classes_from_name`];
//! the unit tests check that every entry's bits equal that derivation, so the
//! table and the rules cannot drift apart. The rules, by `_`-separated token:
//!
//! - `*_SCSV` is [`SCSV`] and nothing else;
//! - `3DES` (TLS) or `EDE3` (SSL 2.0) is [`THREE_DES`]; otherwise `DES` or
//!   `DES40` is [`DES`];
//! - `RC4` is [`RC4`]; `CBC` is [`CBC`]; a token starting with `EXPORT` is
//!   [`EXPORT`]; `anon`, or a `NULL` key exchange, is [`ANONYMOUS`];
//! - the cipher (the first token after `WITH`, or after `TLS` in TLS 1.3
//!   style names without `WITH`) being `NULL` or a bare hash (`SHA256`,
//!   `SHA384`: the RFC 9150 integrity-only suites) is [`NULL_CIPHER`];
//! - `GCM`, `CCM` (also `CCM_8`), `CHACHA20`/`POLY1305`, `MGM` (GOST),
//!   `AEGIS*` or `ASCONAEAD*` in the cipher part is [`AEAD`]; this covers all
//!   TLS 1.3 suites except the integrity-only ones;
//! - `TLS_NULL_WITH_NULL_NULL` additionally gets [`NULL_WITH_NULL`].
//!
//! A suite can have no bit at all: the GOST suites 0xC100..=0xC102 use
//! CTR/CNT modes with a separate MAC (OMAC, IMIT), which is neither CBC nor
//! AEAD, and have no other property listed here.

/// Class bits of a cipher suite.
///
/// Triple DES: `3DES_EDE` (TLS) and SSL 2.0 `DES_192_EDE3`.
pub const THREE_DES: u16 = 1 << 0;
/// RC4 stream cipher, any key length.
pub const RC4: u16 = 1 << 1;
/// No encryption: `..._WITH_NULL_...`, and the integrity-only TLS 1.3 suites
/// `TLS_SHA256_SHA256` / `TLS_SHA384_SHA384` (RFC 9150).
pub const NULL_CIPHER: u16 = 1 << 2;
/// Export-grade (`EXPORT`, SSL 2.0 `EXPORT40`).
pub const EXPORT: u16 = 1 << 3;
/// No authentication of the server: `_anon_`, and `TLS_NULL_WITH_NULL_NULL`.
pub const ANONYMOUS: u16 = 1 << 4;
/// A block cipher in CBC mode (MAC-then-encrypt records).
pub const CBC: u16 = 1 << 5;
/// An AEAD cipher: GCM, CCM, `CCM_8`, `CHACHA20_POLY1305`, GOST MGM, AEGIS,
/// Ascon-AEAD128; all TLS 1.3 suites except the integrity-only ones.
pub const AEAD: u16 = 1 << 6;
/// Signalling cipher suite values, not real suites:
/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` 0x00FF and `TLS_FALLBACK_SCSV` 0x5600.
pub const SCSV: u16 = 1 << 7;
/// Single DES, including 40-bit export DES (`DES_CBC`, `DES40_CBC`,
/// `DES_CBC_40`, SSL 2.0 `DES_64_CBC`); not set for triple DES.
pub const DES: u16 = 1 << 8;
/// `TLS_NULL_WITH_NULL_NULL` (0x0000): no key exchange, no authentication,
/// no encryption, no MAC; only valid before the first handshake completes.
pub const NULL_WITH_NULL: u16 = 1 << 9;

/// Every class bit with a short label, in bit order (for reports).
pub static CLASS_NAMES: &[(u16, &str)] = &[
    (THREE_DES, "3DES"),
    (RC4, "RC4"),
    (NULL_CIPHER, "NULL"),
    (EXPORT, "EXPORT"),
    (ANONYMOUS, "ANON"),
    (CBC, "CBC"),
    (AEAD, "AEAD"),
    (SCSV, "SCSV"),
    (DES, "DES"),
    (NULL_WITH_NULL, "NULL_WITH_NULL"),
];

/// `(id, IANA name, class bits)`, sorted by id: every assigned value of the
/// IANA "TLS Cipher Suites" registry (see the module documentation).
/// (`rustfmt::skip` keeps one entry per line; rustfmt would otherwise split
/// the longer tuples over five lines each.)
#[rustfmt::skip]
pub static SUITES: &[(u16, &str, u16)] = &[
    (0x0000, "TLS_NULL_WITH_NULL_NULL", NULL_CIPHER | ANONYMOUS | NULL_WITH_NULL),
    (0x0001, "TLS_RSA_WITH_NULL_MD5", NULL_CIPHER),
    (0x0002, "TLS_RSA_WITH_NULL_SHA", NULL_CIPHER),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", RC4 | EXPORT),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5", RC4),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA", RC4),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", EXPORT | CBC),
    (0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", CBC),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", EXPORT | CBC | DES),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA", CBC | DES),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", EXPORT | CBC | DES),
    (0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", CBC | DES),
    (0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", EXPORT | CBC | DES),
    (0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", CBC | DES),
    (0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", EXPORT | CBC | DES),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", CBC | DES),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", EXPORT | CBC | DES),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", CBC | DES),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", RC4 | EXPORT | ANONYMOUS),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", RC4 | ANONYMOUS),
    (0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", EXPORT | ANONYMOUS | CBC | DES),
    (0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", ANONYMOUS | CBC | DES),
    (0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", THREE_DES | ANONYMOUS | CBC),
    (0x001E, "TLS_KRB5_WITH_DES_CBC_SHA", CBC | DES),
    (0x001F, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0020, "TLS_KRB5_WITH_RC4_128_SHA", RC4),
    (0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA", CBC),
    (0x0022, "TLS_KRB5_WITH_DES_CBC_MD5", CBC | DES),
    (0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5", THREE_DES | CBC),
    (0x0024, "TLS_KRB5_WITH_RC4_128_MD5", RC4),
    (0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5", CBC),
    (0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", EXPORT | CBC | DES),
    (0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA", EXPORT | CBC),
    (0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA", RC4 | EXPORT),
    (0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5", EXPORT | CBC | DES),
    (0x002A, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5", EXPORT | CBC),
    (0x002B, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5", RC4 | EXPORT),
    (0x002C, "TLS_PSK_WITH_NULL_SHA", NULL_CIPHER),
    (0x002D, "TLS_DHE_PSK_WITH_NULL_SHA", NULL_CIPHER),
    (0x002E, "TLS_RSA_PSK_WITH_NULL_SHA", NULL_CIPHER),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", CBC),
    (0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", CBC),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", ANONYMOUS | CBC),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", CBC),
    (0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", CBC),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", ANONYMOUS | CBC),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256", NULL_CIPHER),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", CBC),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", CBC),
    (0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", CBC),
    (0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", CBC),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", CBC),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", CBC),
    (0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", CBC),
    (0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", CBC),
    (0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", CBC),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", CBC),
    (0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", ANONYMOUS | CBC),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", CBC),
    (0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", CBC),
    (0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", CBC),
    (0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", CBC),
    (0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", CBC),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", ANONYMOUS | CBC),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", ANONYMOUS | CBC),
    (0x006E, "TLS_ASCONAEAD128_ASCONHASH256", AEAD),
    (0x006F, "TLS_ASCONAEAD128_SHA256", AEAD),
    (0x0070, "TLS_AES_128_GCM_ASCONHASH256", AEAD),
    (0x0071, "TLS_AES_128_CCM_ASCONHASH256", AEAD),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", CBC),
    (0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", CBC),
    (0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", CBC),
    (0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", CBC),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", CBC),
    (0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", ANONYMOUS | CBC),
    (0x008A, "TLS_PSK_WITH_RC4_128_SHA", RC4),
    (0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", CBC),
    (0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", CBC),
    (0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA", RC4),
    (0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", CBC),
    (0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", CBC),
    (0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", RC4),
    (0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", CBC),
    (0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", CBC),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", CBC),
    (0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", CBC),
    (0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", CBC),
    (0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", CBC),
    (0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", CBC),
    (0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", ANONYMOUS | CBC),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", ANONYMOUS | AEAD),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", ANONYMOUS | AEAD),
    (0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", AEAD),
    (0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", AEAD),
    (0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", CBC),
    (0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", CBC),
    (0x00B0, "TLS_PSK_WITH_NULL_SHA256", NULL_CIPHER),
    (0x00B1, "TLS_PSK_WITH_NULL_SHA384", NULL_CIPHER),
    (0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", CBC),
    (0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", CBC),
    (0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256", NULL_CIPHER),
    (0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384", NULL_CIPHER),
    (0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", CBC),
    (0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", CBC),
    (0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256", NULL_CIPHER),
    (0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384", NULL_CIPHER),
    (0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", ANONYMOUS | CBC),
    (0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", CBC),
    (0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", CBC),
    (0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", CBC),
    (0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", CBC),
    (0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", CBC),
    (0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", ANONYMOUS | CBC),
    (0x00C6, "TLS_SM4_GCM_SM3", AEAD),
    (0x00C7, "TLS_SM4_CCM_SM3", AEAD),
    (0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", SCSV),
    (0x1301, "TLS_AES_128_GCM_SHA256", AEAD),
    (0x1302, "TLS_AES_256_GCM_SHA384", AEAD),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256", AEAD),
    (0x1304, "TLS_AES_128_CCM_SHA256", AEAD),
    (0x1305, "TLS_AES_128_CCM_8_SHA256", AEAD),
    (0x1306, "TLS_AEGIS_256_SHA512", AEAD),
    (0x1307, "TLS_AEGIS_128L_SHA256", AEAD),
    (0x5600, "TLS_FALLBACK_SCSV", SCSV),
    (0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", NULL_CIPHER),
    (0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", RC4),
    (0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", CBC),
    (0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", CBC),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", NULL_CIPHER),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", RC4),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", CBC),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", CBC),
    (0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", NULL_CIPHER),
    (0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", RC4),
    (0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", NULL_CIPHER),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", RC4),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", NULL_CIPHER | ANONYMOUS),
    (0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", RC4 | ANONYMOUS),
    (0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", THREE_DES | ANONYMOUS | CBC),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", ANONYMOUS | CBC),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", ANONYMOUS | CBC),
    (0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", CBC),
    (0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", CBC),
    (0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", CBC),
    (0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", CBC),
    (0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", CBC),
    (0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", CBC),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", CBC),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", CBC),
    (0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", CBC),
    (0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", CBC),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", CBC),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", CBC),
    (0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", CBC),
    (0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", CBC),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", AEAD),
    (0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", AEAD),
    (0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA", RC4),
    (0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC),
    (0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", CBC),
    (0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", CBC),
    (0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", CBC),
    (0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", CBC),
    (0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA", NULL_CIPHER),
    (0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256", NULL_CIPHER),
    (0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384", NULL_CIPHER),
    (0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256", ANONYMOUS | CBC),
    (0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384", ANONYMOUS | CBC),
    (0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256", ANONYMOUS | AEAD),
    (0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384", ANONYMOUS | AEAD),
    (0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", AEAD),
    (0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", AEAD),
    (0xC070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256", CBC),
    (0xC071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384", CBC),
    (0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256", ANONYMOUS | AEAD),
    (0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384", ANONYMOUS | AEAD),
    (0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256", AEAD),
    (0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384", AEAD),
    (0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", CBC),
    (0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", CBC),
    (0xC09C, "TLS_RSA_WITH_AES_128_CCM", AEAD),
    (0xC09D, "TLS_RSA_WITH_AES_256_CCM", AEAD),
    (0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", AEAD),
    (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", AEAD),
    (0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", AEAD),
    (0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", AEAD),
    (0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", AEAD),
    (0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", AEAD),
    (0xC0A4, "TLS_PSK_WITH_AES_128_CCM", AEAD),
    (0xC0A5, "TLS_PSK_WITH_AES_256_CCM", AEAD),
    (0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", AEAD),
    (0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", AEAD),
    (0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", AEAD),
    (0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", AEAD),
    (0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", AEAD),
    (0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", AEAD),
    (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", AEAD),
    (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", AEAD),
    (0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", AEAD),
    (0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", AEAD),
    (0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", AEAD),
    (0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384", AEAD),
    (0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", AEAD),
    (0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", AEAD),
    (0xC0B4, "TLS_SHA256_SHA256", NULL_CIPHER),
    (0xC0B5, "TLS_SHA384_SHA384", NULL_CIPHER),
    (0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", 0),
    (0xC101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC", 0),
    (0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", 0),
    (0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", AEAD),
    (0xC104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L", AEAD),
    (0xC105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S", AEAD),
    (0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", AEAD),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", AEAD),
    (0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", AEAD),
    (0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", AEAD),
    (0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", AEAD),
    (0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", AEAD),
];

/// SSL 2.0 cipher specs (3-byte CIPHER-KINDs): `(spec, name, class bits)`,
/// sorted by spec.
pub static SSL2_SPECS: &[(u32, &str, u16)] = &[
    (0x010080, "SSL2_RC4_128_WITH_MD5", RC4),
    (0x020080, "SSL2_RC4_128_EXPORT40_WITH_MD5", RC4 | EXPORT),
    (0x030080, "SSL2_RC2_128_CBC_WITH_MD5", CBC),
    (0x040080, "SSL2_RC2_128_CBC_EXPORT40_WITH_MD5", EXPORT | CBC),
    (0x050080, "SSL2_IDEA_128_CBC_WITH_MD5", CBC),
    (0x060040, "SSL2_DES_64_CBC_WITH_MD5", CBC | DES),
    (0x0700C0, "SSL2_DES_192_EDE3_CBC_WITH_MD5", THREE_DES | CBC),
    (0x080080, "SSL2_RC4_64_WITH_MD5", RC4),
];

/// The IANA name and class bits of a TLS cipher suite, or `None` for a value
/// the registry does not assign (unassigned and reserved ranges, GREASE,
/// private use).
#[must_use]
pub fn lookup(id: u16) -> Option<(&'static str, u16)> {
    let idx = SUITES.binary_search_by_key(&id, |&(v, _, _)| v).ok()?;
    SUITES.get(idx).map(|&(_, name, bits)| (name, bits))
}

/// The name and class bits of an SSL 2.0 cipher spec, given as its three
/// bytes read big-endian (e.g. `0x0700C0`), or `None` if it is not known.
#[must_use]
pub fn lookup_ssl2(spec: u32) -> Option<(&'static str, u16)> {
    let idx = SSL2_SPECS
        .binary_search_by_key(&spec, |&(v, _, _)| v)
        .ok()?;
    SSL2_SPECS.get(idx).map(|&(_, name, bits)| (name, bits))
}

/// Derives the class bits from an IANA cipher suite name (or an SSL 2.0
/// `SSL2_...` spec name). The rules are listed in the module documentation.
#[must_use]
pub fn classes_from_name(name: &str) -> u16 {
    if name.ends_with("_SCSV") {
        return SCSV;
    }
    let has = |tok: &str| name.split('_').any(|t| t == tok);
    let has_prefix = |pre: &str| name.split('_').any(|t| t.starts_with(pre));

    // The part of the name that names the bulk cipher (for TLS 1.3 style
    // names without `WITH`: cipher and hash).
    let cipher_part = if let Some(rest) = name.strip_prefix("SSL2_") {
        rest.split_once("_WITH_").map_or(rest, |(cipher, _)| cipher)
    } else if let Some((_, cipher)) = name.split_once("_WITH_") {
        cipher
    } else {
        name.split_once('_').map_or("", |(_, rest)| rest)
    };
    let first = cipher_part.split_once('_').map_or(cipher_part, |(f, _)| f);
    let cipher_has = |pred: &dyn Fn(&str) -> bool| cipher_part.split('_').any(pred);

    let mut bits = 0;
    if has("3DES") || has("EDE3") {
        bits |= THREE_DES;
    } else if has("DES") || has("DES40") {
        bits |= DES;
    }
    if has("RC4") {
        bits |= RC4;
    }
    if first == "NULL" || first.starts_with("SHA") {
        bits |= NULL_CIPHER;
    }
    if has_prefix("EXPORT") {
        bits |= EXPORT;
    }
    if has("anon") || name.starts_with("TLS_NULL_") {
        bits |= ANONYMOUS;
    }
    if has("CBC") {
        bits |= CBC;
    }
    if cipher_has(&|t| {
        matches!(t, "GCM" | "CCM" | "CHACHA20" | "POLY1305" | "MGM")
            || t.starts_with("AEGIS")
            || t.starts_with("ASCONAEAD")
    }) {
        bits |= AEAD;
    }
    if name == "TLS_NULL_WITH_NULL_NULL" {
        bits |= NULL_WITH_NULL;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_sorted_unique_and_counted() {
        assert!(SUITES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(SUITES.len(), 356);
        let mut names: Vec<&str> = SUITES.iter().map(|s| s.1).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SUITES.len(), "duplicate names");
        assert!(SUITES.iter().all(|s| s.1.starts_with("TLS_")));
    }

    #[test]
    fn ssl2_sorted_unique_and_counted() {
        assert!(SSL2_SPECS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(SSL2_SPECS.len(), 8);
        assert!(SSL2_SPECS.iter().all(|s| s.0 <= 0xFF_FFFF));
        assert!(SSL2_SPECS.iter().all(|s| s.1.starts_with("SSL2_")));
    }

    #[test]
    fn bits_match_names() {
        for &(id, name, bits) in SUITES {
            assert_eq!(bits, classes_from_name(name), "{id:#06x} {name}");
        }
        for &(spec, name, bits) in SSL2_SPECS {
            assert_eq!(bits, classes_from_name(name), "{spec:#08x} {name}");
        }
    }

    #[test]
    fn class_invariants() {
        let all: u16 = CLASS_NAMES.iter().fold(0, |acc, &(b, _)| {
            assert_eq!(acc & b, 0, "class bits overlap");
            acc | b
        });
        for &(id, name, bits) in SUITES {
            assert_eq!(bits & !all, 0, "{name}");
            assert!(bits & (CBC | AEAD) != CBC | AEAD, "{name}");
            assert!(bits & (DES | THREE_DES) != DES | THREE_DES, "{name}");
            assert!(bits & SCSV == 0 || bits == SCSV, "{name}");
            assert_eq!(bits & SCSV != 0, id == 0x00FF || id == 0x5600, "{name}");
            if bits & (RC4 | NULL_CIPHER) != 0 {
                assert_eq!(bits & (CBC | AEAD), 0, "{name}");
            }
        }
    }

    #[test]
    fn no_reserved_or_grease_values() {
        for &(id, name, _) in SUITES {
            let [hi, lo] = id.to_be_bytes();
            assert!(!(hi == lo && hi & 0x0F == 0x0A), "GREASE {id:#06x} {name}");
            assert!(!(0x001C..=0x001D).contains(&id), "{id:#06x}");
            assert!(!(0x0047..=0x0066).contains(&id), "{id:#06x}");
            assert!(!(0x0072..=0x0083).contains(&id), "{id:#06x}");
            assert!(id < 0xFEFE, "{id:#06x}");
        }
        for id in [
            0x0A0A, 0x1A1A, 0xFAFA, 0x001C, 0x0060, 0x0080, 0xC0FF, 0xCC13,
        ] {
            assert_eq!(lookup(id), None, "{id:#06x}");
        }
        for id in [0xE001, 0xE410, 0xFEFF, 0xFFE0, 0xFFFF] {
            assert_eq!(lookup(id), None, "{id:#06x}");
        }
    }

    #[test]
    fn spot_checks() {
        let l = |id| lookup(id).map(|(_, b)| b);
        let n = |id| lookup(id).map(|(n, _)| n);
        assert_eq!(
            lookup(0x000A),
            Some(("TLS_RSA_WITH_3DES_EDE_CBC_SHA", THREE_DES | CBC))
        );
        assert_eq!(lookup(0x1301), Some(("TLS_AES_128_GCM_SHA256", AEAD)));
        assert_eq!(
            lookup(0x0018),
            Some(("TLS_DH_anon_WITH_RC4_128_MD5", RC4 | ANONYMOUS))
        );
        assert_eq!(lookup(0x5600), Some(("TLS_FALLBACK_SCSV", SCSV)));
        assert_eq!(
            lookup(0x00FF),
            Some(("TLS_EMPTY_RENEGOTIATION_INFO_SCSV", SCSV))
        );
        assert_eq!(
            lookup(0x0003),
            Some(("TLS_RSA_EXPORT_WITH_RC4_40_MD5", RC4 | EXPORT))
        );
        assert_eq!(l(0x0000), Some(NULL_CIPHER | ANONYMOUS | NULL_WITH_NULL));
        assert_eq!(l(0x0001), Some(NULL_CIPHER));
        assert_eq!(l(0x0009), Some(DES | CBC));
        assert_eq!(l(0x0019), Some(DES | EXPORT | ANONYMOUS | CBC));
        assert_eq!(l(0x0026), Some(DES | EXPORT | CBC));
        assert_eq!(l(0x002F), Some(CBC));
        assert_eq!(l(0xC015), Some(NULL_CIPHER | ANONYMOUS));
        assert_eq!(l(0xC0A8), Some(AEAD));
        assert_eq!(l(0xC0B4), Some(NULL_CIPHER));
        assert_eq!(l(0xC100), Some(0));
        assert_eq!(l(0xC103), Some(AEAD));
        assert_eq!(l(0x00C6), Some(AEAD));
        assert_eq!(l(0x006E), Some(AEAD));
        assert_eq!(l(0x0071), Some(AEAD));
        assert_eq!(l(0x1306), Some(AEAD));
        assert_eq!(
            lookup(0xCCA8),
            Some(("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", AEAD))
        );
        assert_eq!(n(0x1306), Some("TLS_AEGIS_256_SHA512"));
        assert_eq!(n(0x1307), Some("TLS_AEGIS_128L_SHA256"));
        assert_eq!(n(0xC0AA), Some("TLS_PSK_DHE_WITH_AES_128_CCM_8"));
        assert_eq!(n(0xC0B5), Some("TLS_SHA384_SHA384"));
        assert_eq!(n(0xC0B0), Some("TLS_ECCPWD_WITH_AES_128_GCM_SHA256"));
        assert_eq!(n(0xC102), Some("TLS_GOSTR341112_256_WITH_28147_CNT_IMIT"));
        assert_eq!(n(0xD005), Some("TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256"));
        assert_eq!(lookup(0xD004), None);
        assert_eq!(
            lookup(0x0000).map(|(n, _)| n),
            Some("TLS_NULL_WITH_NULL_NULL")
        );
    }

    #[test]
    fn ssl2_spot_checks() {
        assert_eq!(lookup_ssl2(0x010080), Some(("SSL2_RC4_128_WITH_MD5", RC4)));
        assert_eq!(
            lookup_ssl2(0x0700C0),
            Some(("SSL2_DES_192_EDE3_CBC_WITH_MD5", THREE_DES | CBC))
        );
        assert_eq!(
            lookup_ssl2(0x020080),
            Some(("SSL2_RC4_128_EXPORT40_WITH_MD5", RC4 | EXPORT))
        );
        assert_eq!(lookup_ssl2(0x060040).map(|(_, b)| b), Some(DES | CBC));
        assert_eq!(lookup_ssl2(0x000000), None);
        assert_eq!(lookup_ssl2(0x00000A), None);
    }

    #[test]
    fn derivation_of_unlisted_names() {
        assert_eq!(
            classes_from_name("TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"),
            RC4 | EXPORT
        );
        assert_eq!(classes_from_name("TLS_DHE_DSS_WITH_RC4_128_SHA"), RC4);
        assert_eq!(classes_from_name("TLS_SOMETHING_SCSV"), SCSV);
        assert_eq!(classes_from_name(""), 0);
        assert_eq!(classes_from_name("TLS"), 0);
    }
}
