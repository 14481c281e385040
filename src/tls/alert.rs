//! Alert levels and descriptions (RFC 8446 §6, RFC 5246 §7.2, and the
//! registry's later additions), named as the RFCs name them.

/// The RFC name of an alert description, if it has one.
pub fn description_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        52 => "too_many_cids_requested",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        117 => "general_error",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}

/// `protocol_version`, or `alert_123` for codes without a name.
pub fn description_label(code: u8) -> String {
    match description_name(code) {
        Some(n) => n.to_string(),
        None => format!("alert_{code}"),
    }
}

pub fn level_name(level: u8) -> &'static str {
    match level {
        1 => "warning",
        2 => "fatal",
        _ => "unknown",
    }
}

pub const FATAL: u8 = 2;
pub const PROTOCOL_VERSION: u8 = 70;
pub const INAPPROPRIATE_FALLBACK: u8 = 86;
pub const HANDSHAKE_FAILURE: u8 = 40;
pub const INSUFFICIENT_SECURITY: u8 = 71;
