//! Capture files read through a memory map: the reader walks the page cache
//! in place, and batches point into the map, so no packet byte is copied
//! between the disk cache and the decoder.
//!
//! This module is the one place with `unsafe`: the map itself, the release
//! of pages behind the reader, and a prefetch hint. What the map asks of
//! us, and why it holds:
//!
//! * **The file must not change while mapped.** A capture file being read
//!   is not rewritten by anyone in normal use (tcpdump and dumpcap append
//!   to the file they write, and rotate by starting a new one). If another
//!   process *does* write into it, the bytes under the map change: every
//!   reader here checks lengths against the slice it holds, so changed
//!   bytes are damage like any other. If another process *truncates* it,
//!   the kernel answers a read beyond the new end with SIGBUS, which ends
//!   the run; that is why only regular files are mapped, and only when
//!   `--mmap` asks (by default files are read with `read()`, where a
//!   truncated file just ends early).
//! * **Pages behind the reader are given back** (`MADV_DONTNEED`) so that a
//!   large file does not show up as resident memory: for a read-only shared
//!   file mapping that only drops this process's page-table entries; a later
//!   access faults the same page-cache page back in, so a worker still
//!   holding an older batch reads the same bytes.

#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use memmap2::{Advice, Mmap, UncheckedAdvice};

/// Resident bytes kept behind the read position before they are given back.
const KEEP_BEHIND: usize = 8 << 20;
/// How far the read position moves between two releases (one `madvise`).
const RELEASE_STEP: usize = 4 << 20;
/// Page tables are filled this far ahead of the reader, a step at a time
/// (one `madvise` instead of a page fault per 64 KiB).
const POPULATE_STEP: usize = 2 << 20;

/// A read-only map of a whole regular file.
pub struct Map {
    map: Mmap,
    /// Bytes `[0, released)` have been given back.
    released: AtomicUsize,
    /// Bytes `[0, populated)` have their page-table entries.
    populated: AtomicUsize,
}

impl Map {
    /// Maps `file` (a regular file, not empty) for reading from start to end.
    pub fn new(file: &File) -> io::Result<Map> {
        // SAFETY: the map is read-only and shared, of a regular file the
        // caller opened; the file is not changed by this process. Another
        // process changing it is the risk the module documentation names:
        // changed bytes are checked like any input, a truncation ends the
        // run (SIGBUS), and files are mapped only with `--mmap`.
        let map = unsafe { Mmap::map(file)? };
        // Read-ahead for a front-to-back walk; failing to advise is harmless.
        let _ = map.advise(Advice::Sequential);
        Ok(Map {
            map,
            released: AtomicUsize::new(0),
            populated: AtomicUsize::new(0),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The reader has moved on to `pos`: map the pages ahead of it and give
    /// back the pages more than a few MiB behind it.
    pub fn moved_to(&self, pos: usize) {
        let populated = self.populated.load(Ordering::Relaxed);
        if pos + POPULATE_STEP > populated && populated < self.map.len() {
            let len = (2 * POPULATE_STEP).min(self.map.len() - populated);
            let _ = self.map.advise_range(Advice::PopulateRead, populated, len);
            self.populated.store(populated + len, Ordering::Relaxed);
        }
        self.release_before(pos);
    }

    /// Asks the CPU to start loading the bytes at `pos` into its caches, so
    /// that the reader does not wait for memory when it gets there. A hint:
    /// nothing happens for a position outside the map.
    #[inline]
    pub fn prefetch(&self, pos: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(b) = self.map.get(pos) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: a prefetch never faults and changes nothing the
            // program can see; the address lies inside the map.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(b).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = pos;
    }

    /// Gives back the pages more than [`KEEP_BEHIND`] behind `pos`, a
    /// [`RELEASE_STEP`] at a time.
    fn release_before(&self, pos: usize) {
        let upto = pos.saturating_sub(KEEP_BEHIND) & !(RELEASE_STEP - 1);
        let from = self.released.load(Ordering::Relaxed);
        if upto < from + RELEASE_STEP || upto > self.map.len() {
            return;
        }
        // SAFETY: MADV_DONTNEED on a read-only, shared, file-backed map
        // drops page-table entries only: the file's page cache keeps the
        // bytes, and the next access to the range faults them back in
        // unchanged. No reference into the map sees different contents, so
        // the `&[u8]` borrows handed out stay valid. The range lies inside
        // the map (checked above) and `from` is page-aligned (a multiple of
        // RELEASE_STEP).
        let _ = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, from, upto - from)
        };
        self.released.store(upto, Ordering::Relaxed);
    }
}
