//! The captures Windows administrators have. pktmon: every packet logged
//! once per component it crosses, all copies with one pcapng packet id,
//! the lower components' copies as native 802.11 frames (link type 105,
//! LLC/SNAP, often with the protected bit left set on frames the NIC has
//! already decrypted); radiotap (127). Made here from a real fixture's
//! packets, laid out as pktmon's etl2pcapng conversion lays them out. (The
//! real pktmon capture of ../shared/corpus-windows is checked by
//! tests/windows_check.py.)

use serde_json::Value;

use crate::util::{
    Rec, fixture, pcap_bytes, pcapng_epb_with_options, pcapng_idb, pcapng_shb, read_pcap, stdout,
    tempdir, tlssniff,
};

/// An enhanced packet block with an `epb_packetid` option (pcapng §4.3.1,
/// option 5).
fn epb_with_id(if_id: u32, r: &Rec, id: u64) -> Vec<u8> {
    let ts = u64::from(r.ts_sec) * 1_000_000 + u64::from(r.ts_usec);
    let mut option = Vec::new();
    option.extend(5u16.to_le_bytes());
    option.extend(8u16.to_le_bytes());
    option.extend(id.to_le_bytes());
    pcapng_epb_with_options(if_id, ts, r, &option)
}

/// An Ethernet frame as the 802.11 QoS data frame a Wi-Fi miniport logs:
/// to the AP (ToDS) or from it (FromDS), LLC/SNAP and the EtherType before
/// the payload; `protected` sets the bit a NIC leaves on frames it
/// decrypted.
fn as_wlan(eth: &[u8], to_ds: bool, protected: bool) -> Vec<u8> {
    let (dst, src, rest) = (&eth[..6], &eth[6..12], &eth[12..]);
    let flags = if to_ds { 0x01 } else { 0x02 } | if protected { 0x40 } else { 0 };
    let mut f = vec![0x88, flags, 0, 0];
    f.extend(dst);
    f.extend(src);
    f.extend(dst);
    f.extend([0x10, 0x00, 0x00, 0x00]); // sequence control, QoS control
    f.extend([0xaa, 0xaa, 0x03, 0, 0, 0]);
    f.extend(rest);
    f
}

fn wlan_rec(r: &Rec, to_ds: bool, protected: bool) -> Rec {
    let data = as_wlan(&r.data, to_ds, protected);
    Rec {
        orig_len: r.orig_len + (data.len() - r.data.len()) as u32,
        data,
        ..r.clone()
    }
}

fn jsonl_of(path: &std::path::Path) -> Vec<Value> {
    stdout(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn skipped(path: &std::path::Path) -> Value {
    let out = stdout(&tlssniff([
        "--format",
        "summary-json",
        path.to_str().unwrap(),
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    v["capture"]["skipped"].clone()
}

/// The client's side of tls12.pcap is the first packet's sender.
fn client_mac(recs: &[Rec]) -> Vec<u8> {
    recs[0].data[6..12].to_vec()
}

#[test]
fn pktmon_copies_are_folded_by_packet_id_and_802_11_is_decoded() {
    let original = fixture("tls12.pcap");
    let (_, recs, _) = read_pcap(&original);
    let client = client_mac(&recs);
    // One IDB per component and link type, as etl2pcapng writes them:
    // tcpip (Ethernet), the Wi-Fi filter (802.11), pacer (Ethernet).
    let mut file = pcapng_shb();
    file.extend(pcapng_idb(1, 6));
    file.extend(pcapng_idb(105, 6));
    file.extend(pcapng_idb(1, 6));
    for (i, r) in recs.iter().enumerate() {
        let id = 1_000 + i as u64;
        let outgoing = r.data[6..12] == client[..];
        // Outgoing packets cross tcpip first, incoming ones the miniport.
        let wlan = wlan_rec(r, outgoing, i % 2 == 0);
        let copies: [(u32, &Rec); 3] = if outgoing {
            [(0, r), (2, r), (1, &wlan)]
        } else {
            [(1, &wlan), (2, r), (0, r)]
        };
        for (idb, copy) in copies {
            file.extend(epb_with_id(idb, copy, id));
        }
    }
    let dir = tempdir("pktmon");
    let path = dir.join("pktmon.pcapng");
    std::fs::write(&path, file).unwrap();

    assert_eq!(jsonl_of(&path), jsonl_of(&original));
    let skipped = skipped(&path);
    assert_eq!(
        skipped["copy of an earlier packet (same packet id)"],
        2 * recs.len(),
        "{skipped}"
    );
    assert!(
        skipped
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.contains("link type")),
        "{skipped}"
    );
}

#[test]
fn wifi_captures_bare_and_behind_radiotap_read_as_their_ethernet_twins() {
    let original = fixture("tls13.pcap");
    let (_, recs, _) = read_pcap(&original);
    let client = client_mac(&recs);
    let wlan: Vec<Rec> = recs
        .iter()
        .map(|r| wlan_rec(r, r.data[6..12] == client[..], true))
        .collect();
    // Radiotap: version 0, pad, length 12, a present word with only Flags
    // (bit 1), the flags byte, padding.
    let radiotap: Vec<Rec> = wlan
        .iter()
        .map(|r| {
            let mut data = vec![0, 0, 12, 0, 0x02, 0, 0, 0, 0, 0, 0, 0];
            data.extend(&r.data);
            Rec {
                orig_len: r.orig_len + 12,
                data,
                ..r.clone()
            }
        })
        .collect();
    // Decrypted by the NIC with its CCMP header (Ext IV set) left in
    // front of the clear body.
    let ccmp: Vec<Rec> = wlan
        .iter()
        .map(|r| {
            let mut data = r.data.clone();
            data.splice(26..26, [1, 0, 0, 0x20, 0, 0, 0, 0]);
            Rec {
                orig_len: r.orig_len + 8,
                data,
                ..r.clone()
            }
        })
        .collect();
    let dir = tempdir("wifi");
    let expected = jsonl_of(&original);
    for (name, link, recs) in [
        ("wlan.pcap", 105, &wlan),
        ("radiotap.pcap", 127, &radiotap),
        ("ccmp.pcap", 105, &ccmp),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, pcap_bytes(link, recs)).unwrap();
        assert_eq!(jsonl_of(&path), expected, "{name}");
    }
    // Truly encrypted frames (a CCMP header, then ciphertext) and a beacon
    // are counted, by reason.
    let mut encrypted = as_wlan(&recs[0].data, true, true);
    encrypted.splice(26..26, [1, 0, 0, 0x20, 0, 0, 0, 0]);
    for b in &mut encrypted[34..] {
        *b ^= 0x5a;
    }
    let beacon = [vec![0x80, 0, 0, 0], vec![0xff; 20]].concat();
    let frames = [encrypted, beacon].map(|data| Rec {
        ts_sec: 1,
        ts_usec: 0,
        orig_len: data.len() as u32,
        data,
    });
    let path = dir.join("other.pcap");
    std::fs::write(&path, pcap_bytes(105, &frames)).unwrap();
    let skipped = skipped(&path);
    assert_eq!(skipped["802.11 encrypted frame"], 1, "{skipped}");
    assert_eq!(
        skipped["802.11 management or control frame"], 1,
        "{skipped}"
    );
}
