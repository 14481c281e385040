//! Capture-file reader (pcap, pcapng, gzip, zstd): any bytes. Invariants: no
//! panic; every packet lies within the input's (decompressed) bytes and is
//! at most MAX_BLOCK long; damage is reported at an offset inside the stream
//! that was read; the reader ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::capture::file::{CaptureFile, MAX_BLOCK};

fuzz_target!(|data: &[u8]| {
    let len = data.len();
    let Ok(mut f) = CaptureFile::from_reader(
        "fuzz".into(),
        Box::new(std::io::Cursor::new(data.to_vec())),
        Some(len as u64),
    )
    else {
        return;
    };
    let compressed = f.stats.format.contains("compressed");
    let mut packets = 0u64;
    loop {
        match f.next_packet() {
            Ok(Some(p)) => {
                assert!(p.data.len() <= MAX_BLOCK);
                if !compressed {
                    assert!(p.data.len() <= len);
                }
                packets += 1;
                // Every packet takes at least a record header of input.
                assert!(compressed || packets <= len as u64 / 12 + 1);
            }
            Ok(None) => break,
            Err(d) => {
                if !compressed {
                    assert!(d.offset <= len as u64, "damage at {} beyond {len}", d.offset);
                }
                assert!(!d.to_string().is_empty());
                break;
            }
        }
    }
    assert_eq!(f.stats.packets, packets);
});
