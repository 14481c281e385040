//! Packet decode: a link type and a frame. Invariants: no panic; a decoded
//! payload is a sub-slice of the frame; the cut is never more than given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::capture::LinkType;
use tlssniff::decode::decode;

const LINK_TYPES: [u32; 13] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 105, 127];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Some((&cut, frame)) = rest.split_first() else {
        return;
    };
    let link = LinkType(LINK_TYPES[usize::from(sel) % LINK_TYPES.len()]);
    let cut = u32::from(cut);
    if let Ok(seg) = decode(link, frame, cut) {
        let start = frame.as_ptr() as usize;
        let p = seg.payload.as_ptr() as usize;
        assert!(seg.payload.is_empty() || (p >= start && p + seg.payload.len() <= start + frame.len()));
        assert!(seg.cut <= cut);
    }
});
