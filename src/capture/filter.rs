//! A tcpdump filter expression on capture files (`tlssniff -r f.pcap tcp
//! port 443`), compiled by libpcap (`pcap_compile` on a dead handle of the
//! packet's link type) and run with `pcap_offline_filter`: the same
//! language and the same matches as tcpdump. Only with the `live` feature,
//! which links libpcap; without it the CLI says so.

use std::collections::HashMap;

use super::LinkType;
use crate::error::Error;

/// The expression, compiled once per link type met (a pcapng file can mix
/// them).
pub struct FileFilter {
    expr: String,
    programs: HashMap<LinkType, pcap::BpfProgram>,
}

impl FileFilter {
    pub fn new(expr: &str) -> FileFilter {
        FileFilter {
            expr: expr.to_owned(),
            programs: HashMap::new(),
        }
    }

    /// Does the frame match? An expression libpcap cannot compile for this
    /// link type ends the run, with libpcap's reason.
    pub fn matches(&mut self, link_type: LinkType, frame: &[u8]) -> Result<bool, Error> {
        if !self.programs.contains_key(&link_type) {
            let dead = pcap::Capture::dead(pcap::Linktype(link_type.0 as i32))
                .map_err(|e| Error::Usage(format!("filter: {e}")))?;
            let program = dead.compile(&self.expr, true).map_err(|e| {
                Error::Usage(format!(
                    "filter {:?} (link type {}): {e}",
                    self.expr, link_type.0
                ))
            })?;
            self.programs.insert(link_type, program);
        }
        Ok(self
            .programs
            .get(&link_type)
            .is_some_and(|p| p.filter(frame)))
    }
}
