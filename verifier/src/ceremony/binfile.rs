//! The iden3 binary container shared by `.ptau`, `.r1cs`, `.zkey` and
//! `.wtns`: a four-byte magic, a `u32` version, a `u32` section count, then
//! sections, each a `u32` id, a `u64` byte length and the bytes. Integers
//! are little-endian. A section id may in principle repeat; every section
//! zkreg reads must appear once.

use std::io::{Read, Seek, SeekFrom};

use super::error::FormatError;

/// One section's place in the file.
#[derive(Clone, Copy, Debug)]
struct Section {
    id: u32,
    offset: u64,
    size: u64,
}

/// A container's section table over a seekable source. Only the ranges
/// asked for are read, so a large powers-of-tau file is never loaded whole.
pub(crate) struct BinReader<R> {
    inner: R,
    sections: Vec<Section>,
}

/// The fixed part of the header: magic, version, section count.
const HEADER_BYTES: u64 = 12;
/// Each section's header: id and length.
const SECTION_HEADER_BYTES: u64 = 12;

impl<R: Read + Seek> BinReader<R> {
    /// Reads the header and the section table; checks that every section
    /// lies inside the file.
    pub(crate) fn open(mut inner: R, magic: &'static str, max_version: u32) -> Result<Self, FormatError> {
        let len = inner.seek(SeekFrom::End(0)).map_err(|_| FormatError::truncated("file"))?;
        inner.seek(SeekFrom::Start(0)).map_err(|_| FormatError::truncated("file"))?;
        let mut header = [0u8; HEADER_BYTES as usize];
        inner.read_exact(&mut header).map_err(|_| FormatError::truncated("file header"))?;
        if &header[..4] != magic.as_bytes() {
            return Err(FormatError::BadMagic { expected: magic });
        }
        let version = u32_at(&header, 4);
        if version == 0 || version > max_version {
            return Err(FormatError::UnsupportedVersion { kind: magic, version });
        }
        let count = u32_at(&header, 8);
        let mut sections = Vec::new();
        let mut pos = HEADER_BYTES;
        for i in 0..count {
            let what = || format!("header of section {} of {count}", i + 1);
            if pos.checked_add(SECTION_HEADER_BYTES).is_none_or(|end| end > len) {
                return Err(FormatError::truncated(what()));
            }
            let mut sh = [0u8; SECTION_HEADER_BYTES as usize];
            inner.seek(SeekFrom::Start(pos)).map_err(|_| FormatError::truncated(what()))?;
            inner.read_exact(&mut sh).map_err(|_| FormatError::truncated(what()))?;
            let id = u32_at(&sh, 0);
            let size = u64::from_le_bytes(sh[4..12].try_into().unwrap_or_else(|_| unreachable!("eight bytes")));
            let offset = pos + SECTION_HEADER_BYTES;
            if offset.checked_add(size).is_none_or(|end| end > len) {
                return Err(FormatError::truncated(format!("section {id}")));
            }
            sections.push(Section { id, offset, size });
            pos = offset + size;
        }
        Ok(BinReader { inner, sections })
    }

    fn unique(&self, id: u32) -> Result<Section, FormatError> {
        let mut found = self.sections.iter().filter(|s| s.id == id);
        let first = *found.next().ok_or(FormatError::MissingSection { id })?;
        if found.next().is_some() {
            return Err(FormatError::DuplicateSection { id });
        }
        Ok(first)
    }

    /// Whether section `id` is present.
    pub(crate) fn has(&self, id: u32) -> bool {
        self.sections.iter().any(|s| s.id == id)
    }

    /// The byte length of the unique section `id`.
    pub(crate) fn size(&self, id: u32) -> Result<u64, FormatError> {
        Ok(self.unique(id)?.size)
    }

    /// Checks that section `id` has exactly `expected` bytes.
    pub(crate) fn expect_size(&self, id: u32, expected: u64) -> Result<(), FormatError> {
        let got = self.size(id)?;
        if got != expected {
            return Err(FormatError::SectionSize { id, expected, got });
        }
        Ok(())
    }

    /// `len` bytes of section `id` from `offset` (checked against the
    /// section's length before anything is allocated).
    pub(crate) fn read_range(&mut self, id: u32, offset: u64, len: u64) -> Result<Vec<u8>, FormatError> {
        let s = self.unique(id)?;
        if offset.checked_add(len).is_none_or(|end| end > s.size) {
            return Err(FormatError::truncated(format!("section {id}")));
        }
        let len = usize::try_from(len).map_err(|_| FormatError::truncated(format!("section {id}")))?;
        let mut buf = vec![0u8; len];
        self.inner.seek(SeekFrom::Start(s.offset + offset)).map_err(|_| FormatError::truncated(format!("section {id}")))?;
        self.inner.read_exact(&mut buf).map_err(|_| FormatError::truncated(format!("section {id}")))?;
        Ok(buf)
    }

    /// The whole of section `id`.
    pub(crate) fn read_section(&mut self, id: u32) -> Result<Vec<u8>, FormatError> {
        let size = self.size(id)?;
        self.read_range(id, 0, size)
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_else(|_| unreachable!("four bytes")))
}

/// A cursor over one section's bytes that refuses to read past its end.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    section: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], section: u32) -> Self {
        Cursor { buf, pos: 0, section }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).filter(|end| *end <= self.buf.len());
        let end = end.ok_or_else(|| FormatError::truncated(format!("section {}", self.section)))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32_at(self.take(4)?, 0))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap_or_else(|_| unreachable!("eight bytes"))))
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), FormatError> {
        if self.remaining() != 0 {
            return Err(FormatError::TrailingBytes { id: self.section });
        }
        Ok(())
    }

    /// Checks that `count` items of `item_bytes` each fit in what is left,
    /// before a caller allocates room for them.
    pub(crate) fn check_count(&self, count: u64, item_bytes: u64, what: &str) -> Result<usize, FormatError> {
        let fits = count.checked_mul(item_bytes).is_some_and(|n| n <= self.remaining() as u64);
        if !fits {
            return Err(FormatError::truncated(format!("{what} (section {})", self.section)));
        }
        usize::try_from(count).map_err(|_| FormatError::truncated(what.to_owned()))
    }
}

/// Writes a container: sections are appended whole, in the order given.
pub(crate) struct BinWriter {
    out: Vec<u8>,
}

impl BinWriter {
    pub(crate) fn new(magic: &'static str, version: u32, sections: u32) -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(magic.as_bytes());
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&sections.to_le_bytes());
        BinWriter { out }
    }

    pub(crate) fn section(&mut self, id: u32, bytes: &[u8]) {
        self.out.extend_from_slice(&id.to_le_bytes());
        self.out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.out.extend_from_slice(bytes);
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = BinWriter::new("test", 1, 2);
        w.section(1, &[1, 2, 3, 4]);
        w.section(2, &7u32.to_le_bytes());
        w.finish()
    }

    #[test]
    fn round_trips_and_refuses_every_truncation() {
        let bytes = sample();
        let mut r = BinReader::open(std::io::Cursor::new(&bytes), "test", 1).unwrap();
        assert_eq!(r.read_section(1).unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(Cursor::new(&r.read_section(2).unwrap(), 2).u32().unwrap(), 7);
        assert_eq!(r.read_section(3).unwrap_err(), FormatError::MissingSection { id: 3 });
        assert!(matches!(r.read_range(1, 2, 3), Err(FormatError::Truncated { .. })));
        for cut in 0..bytes.len() {
            let err = BinReader::open(std::io::Cursor::new(&bytes[..cut]), "test", 1).err();
            assert!(matches!(err, Some(FormatError::Truncated { .. })), "cut at {cut}: {err:?}");
        }
    }

    #[test]
    fn refuses_wrong_magic_version_and_duplicates() {
        let bytes = sample();
        assert_eq!(BinReader::open(std::io::Cursor::new(&bytes), "zkey", 1).err(), Some(FormatError::BadMagic { expected: "zkey" }));
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert!(matches!(BinReader::open(std::io::Cursor::new(&v2), "test", 1), Err(FormatError::UnsupportedVersion { version: 2, .. })));
        let mut w = BinWriter::new("test", 1, 2);
        w.section(1, &[]);
        w.section(1, &[]);
        let dup = w.finish();
        let r = BinReader::open(std::io::Cursor::new(&dup), "test", 1).unwrap();
        assert_eq!(r.size(1).unwrap_err(), FormatError::DuplicateSection { id: 1 });
        // A declared section length past the end of the file.
        let mut long = bytes.clone();
        long[12 + 4] = 200;
        assert!(matches!(BinReader::open(std::io::Cursor::new(&long), "test", 1), Err(FormatError::Truncated { .. })));
    }

    #[test]
    fn cursor_checks_counts_before_allocating() {
        let c = Cursor::new(&[0u8; 10], 4);
        assert!(c.check_count(u64::MAX, 64, "points").is_err());
        assert!(c.check_count(2, 5, "items").is_ok());
        assert!(c.check_count(3, 4, "items").is_err());
    }
}
