//! TYPE A (ASCII) line-end conversion for the data plane.
//!
//! In TYPE A the wire carries CRLF line ends (RFC 959 §3.1.1.1). The sender
//! turns local line ends into CRLF, the receiver turns CRLF back. These helpers
//! follow vsftpd's rules (`ascii.c`):
//!
//! - [`AsciiEncoder`] (sending): an LF not preceded by CR becomes CRLF; an
//!   existing CRLF is kept as is (never CR CR LF); a lone CR passes unchanged.
//! - [`AsciiDecoder`] (receiving): CRLF becomes LF; a lone CR is kept. A CR at
//!   the end of a chunk is held back until the next chunk (or
//!   [`AsciiDecoder::finish`]) shows whether an LF follows.
//! - [`AsciiSize`]: the size a file has once encoded, for `SIZE` in TYPE A
//!   (RFC 3659 §4.4), computed chunk by chunk.
//! - [`Outbound`] and [`Inbound`]: what a data pump uses, for either
//!   representation: binary chunks pass through untouched, ASCII chunks are
//!   converted into one buffer reused for every chunk.
//!
//! All three keep their state between chunks, so the result does not depend on
//! how the data was cut. Output goes to any growable [`BufMut`] the caller
//! reuses (`BytesMut`, `Vec<u8>`): nothing is allocated per chunk beyond
//! growing that buffer. A fixed `&mut [u8]` also works if it has room for
//! [`max_encoded_len`] / [`max_decoded_len`] bytes (a full slice panics in `bytes`).

use bytes::{BufMut, BytesMut};

use crate::data::Representation;

/// The most bytes [`AsciiEncoder::encode`] can write for `input_len` input bytes.
#[must_use]
pub const fn max_encoded_len(input_len: usize) -> usize {
    input_len.saturating_mul(2)
}

/// The most bytes [`AsciiDecoder::decode`] can write for `input_len` input bytes
/// (one more than the input: a CR held back from the previous chunk).
#[must_use]
pub const fn max_decoded_len(input_len: usize) -> usize {
    input_len.saturating_add(1)
}

/// Converts local LF line ends to CRLF for sending in TYPE A (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsciiEncoder {
    /// Whether the last byte of the previous chunk was a CR.
    after_cr: bool,
}

impl AsciiEncoder {
    /// A fresh encoder, at the start of a file.
    #[must_use]
    pub const fn new() -> Self {
        Self { after_cr: false }
    }

    /// Appends the encoded form of `input` to `out`.
    pub fn encode<B: BufMut + ?Sized>(&mut self, input: &[u8], out: &mut B) {
        let mut start = 0;
        for lf in memchr::memchr_iter(b'\n', input) {
            let preceded_by_cr = match lf.checked_sub(1) {
                Some(prev) => input.get(prev) == Some(&b'\r'),
                None => self.after_cr,
            };
            if !preceded_by_cr {
                out.put_slice(input.get(start..lf).unwrap_or_default());
                out.put_u8(b'\r');
                start = lf;
            }
        }
        out.put_slice(input.get(start..).unwrap_or_default());
        if let Some(&last) = input.last() {
            self.after_cr = last == b'\r';
        }
    }

    /// How many bytes encoding `input` adds (the number of LFs that gain a CR),
    /// advancing the state exactly as [`encode`](Self::encode) would.
    pub fn added_len(&mut self, input: &[u8]) -> u64 {
        let mut added = 0u64;
        for lf in memchr::memchr_iter(b'\n', input) {
            let preceded_by_cr = match lf.checked_sub(1) {
                Some(prev) => input.get(prev) == Some(&b'\r'),
                None => self.after_cr,
            };
            added += u64::from(!preceded_by_cr);
        }
        if let Some(&last) = input.last() {
            self.after_cr = last == b'\r';
        }
        added
    }
}

/// Converts CRLF line ends to LF when receiving in TYPE A (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsciiDecoder {
    /// A CR ended the previous chunk and has not been written yet.
    pending_cr: bool,
}

impl AsciiDecoder {
    /// A fresh decoder, at the start of a file.
    #[must_use]
    pub const fn new() -> Self {
        Self { pending_cr: false }
    }

    /// Appends the decoded form of `input` to `out`. A CR at the end of
    /// `input` is held back until the next call or [`finish`](Self::finish).
    pub fn decode<B: BufMut + ?Sized>(&mut self, input: &[u8], out: &mut B) {
        let mut rest = input;
        if self.pending_cr {
            if rest.is_empty() {
                return;
            }
            self.pending_cr = false;
            if rest.first() == Some(&b'\n') {
                out.put_u8(b'\n');
                rest = rest.get(1..).unwrap_or_default();
            } else {
                out.put_u8(b'\r');
            }
        }
        while let Some(cr) = memchr::memchr(b'\r', rest) {
            out.put_slice(rest.get(..cr).unwrap_or_default());
            match rest.get(cr + 1) {
                Some(b'\n') => {
                    out.put_u8(b'\n');
                    rest = rest.get(cr + 2..).unwrap_or_default();
                }
                Some(_) => {
                    out.put_u8(b'\r');
                    rest = rest.get(cr + 1..).unwrap_or_default();
                }
                None => {
                    self.pending_cr = true;
                    return;
                }
            }
        }
        out.put_slice(rest);
    }

    /// Writes a CR still held back at the end of the data (a file ending in a lone CR).
    pub fn finish<B: BufMut + ?Sized>(&mut self, out: &mut B) {
        if core::mem::take(&mut self.pending_cr) {
            out.put_u8(b'\r');
        }
    }
}

/// The size of a file once sent in TYPE A, fed chunk by chunk (for `SIZE`, RFC 3659 §4.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsciiSize {
    encoder: AsciiEncoder,
    total: u64,
}

impl AsciiSize {
    /// A count at zero bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            encoder: AsciiEncoder::new(),
            total: 0,
        }
    }

    /// Counts the next chunk of the file's local bytes.
    pub fn update(&mut self, chunk: &[u8]) {
        let added = self.encoder.added_len(chunk);
        self.total = self
            .total
            .saturating_add(chunk.len() as u64)
            .saturating_add(added);
    }

    /// The encoded size of everything counted so far.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.total
    }
}

/// The TYPE A size of data given as chunks: `AsciiSize` in one call.
pub fn ascii_size<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut size = AsciiSize::new();
    for chunk in chunks {
        size.update(chunk);
    }
    size.total()
}

/// File bytes on their way to the data connection, in the transfer's
/// representation: unchanged in binary, LF → CRLF in ASCII (an encoder and
/// a buffer reused for every chunk).
#[derive(Debug)]
pub struct Outbound {
    ascii: Option<(AsciiEncoder, BytesMut)>,
}

impl Outbound {
    /// A converter for a transfer in `representation` whose chunks are at
    /// most `chunk_len` bytes (the buffer is sized once for that).
    #[must_use]
    pub fn new(representation: Representation, chunk_len: usize) -> Self {
        let ascii = match representation {
            Representation::Ascii => Some((
                AsciiEncoder::new(),
                BytesMut::with_capacity(max_encoded_len(chunk_len)),
            )),
            Representation::Binary => None,
        };
        Self { ascii }
    }

    /// The bytes to send for the next chunk of the file.
    pub fn convert<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        match &mut self.ascii {
            None => chunk,
            Some((encoder, out)) => {
                out.clear();
                encoder.encode(chunk, out);
                out
            }
        }
    }
}

/// Bytes from the data connection on their way to the file, in the
/// transfer's representation: unchanged in binary, CRLF → LF in ASCII (a
/// decoder and a buffer reused for every chunk).
#[derive(Debug)]
pub struct Inbound {
    ascii: Option<(AsciiDecoder, BytesMut)>,
}

impl Inbound {
    /// A converter for a transfer in `representation` whose chunks are at
    /// most `chunk_len` bytes (the buffer is sized once for that).
    #[must_use]
    pub fn new(representation: Representation, chunk_len: usize) -> Self {
        let ascii = match representation {
            Representation::Ascii => Some((
                AsciiDecoder::new(),
                BytesMut::with_capacity(max_decoded_len(chunk_len)),
            )),
            Representation::Binary => None,
        };
        Self { ascii }
    }

    /// The bytes to write to the file for the next chunk received.
    pub fn convert<'a>(&'a mut self, chunk: &'a [u8]) -> &'a [u8] {
        match &mut self.ascii {
            None => chunk,
            Some((decoder, out)) => {
                out.clear();
                decoder.decode(chunk, out);
                out
            }
        }
    }

    /// The bytes still to write at the end of the data (a CR held back from
    /// the last chunk); empty in binary.
    pub fn finish(&mut self) -> &[u8] {
        match &mut self.ascii {
            None => &[],
            Some((decoder, out)) => {
                out.clear();
                decoder.finish(out);
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn encode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
        let mut enc = AsciiEncoder::new();
        let mut out = Vec::new();
        for c in chunks {
            enc.encode(c, &mut out);
        }
        out
    }

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
        let mut dec = AsciiDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            dec.decode(c, &mut out);
        }
        dec.finish(&mut out);
        out
    }

    #[test]
    fn encode_table() {
        let cases: &[(&[&[u8]], &[u8])] = &[
            (&[b"a\nb\n"], b"a\r\nb\r\n"),
            (&[b"a\r\nb"], b"a\r\nb"),
            (&[b"a\r", b"\nb"], b"a\r\nb"),
            (&[b"a", b"\n"], b"a\r\n"),
            (&[b"\n\n"], b"\r\n\r\n"),
            (&[b"\r\r\n"], b"\r\r\n"),
            (&[b"lone\rcr"], b"lone\rcr"),
            (&[b"", b"\n"], b"\r\n"),
            (&[b"\r", b"", b"\n"], b"\r\n"),
        ];
        for &(chunks, want) in cases {
            assert_eq!(encode_chunks(chunks), want, "{chunks:?}");
            assert_eq!(ascii_size(chunks.iter().copied()), want.len() as u64);
        }
    }

    #[test]
    fn decode_table() {
        let cases: &[(&[&[u8]], &[u8])] = &[
            (&[b"a\r\nb\r\n"], b"a\nb\n"),
            (&[b"a\r", b"\nb"], b"a\nb"),
            (&[b"a\r", b"b"], b"a\rb"),
            (&[b"a\r", b"", b"\n"], b"a\n"),
            (&[b"a\r"], b"a\r"),
            (&[b"\r\r\n"], b"\r\n"),
            (&[b"\r", b"\r", b"\n"], b"\r\n"),
            (&[b"bare\nlf"], b"bare\nlf"),
        ];
        for &(chunks, want) in cases {
            assert_eq!(decode_chunks(chunks), want, "{chunks:?}");
        }
    }

    #[test]
    fn works_into_bytes_mut_and_fixed_slice() {
        let mut out = BytesMut::new();
        AsciiEncoder::new().encode(b"x\n", &mut out);
        assert_eq!(&out[..], b"x\r\n");
        let mut buf = [0u8; 8];
        let mut slice = &mut buf[..];
        AsciiDecoder::new().decode(b"x\r\ny", &mut slice);
        let left = slice.len();
        assert_eq!(&buf[..8 - left], b"x\ny");
    }

    fn split(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        points.sort_unstable();
        let mut out = Vec::new();
        let mut prev = 0;
        for p in points {
            out.push(data[prev..p].to_vec());
            prev = p;
        }
        out.push(data[prev..].to_vec());
        out
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()],
            0..64,
        )
    }

    proptest! {
        #[test]
        fn round_trip_without_cr(data in text()) {
            let data: Vec<u8> = data.into_iter().filter(|&b| b != b'\r').collect();
            let encoded = encode_chunks(&[&data]);
            prop_assert_eq!(decode_chunks(&[&encoded]), data);
        }

        #[test]
        fn chunking_does_not_matter(data in text(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
            let parts = split(&data, &cuts);
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            let whole_enc = encode_chunks(&[&data]);
            prop_assert_eq!(&encode_chunks(&refs), &whole_enc);
            prop_assert_eq!(decode_chunks(&refs), decode_chunks(&[&data]));
            prop_assert_eq!(ascii_size(refs.iter().copied()), whole_enc.len() as u64);
            prop_assert!(whole_enc.len() <= max_encoded_len(data.len()));
        }
    }

    #[test]
    fn outbound_and_inbound_pass_binary_through_and_convert_ascii() {
        let mut out = Outbound::new(Representation::Binary, 8);
        assert_eq!(out.convert(b"a\nb\r"), b"a\nb\r");
        let mut out = Outbound::new(Representation::Ascii, 8);
        assert_eq!(out.convert(b"a\nb\r"), b"a\r\nb\r");
        assert_eq!(out.convert(b"\nc\n"), b"\nc\r\n");

        let mut inb = Inbound::new(Representation::Binary, 8);
        assert_eq!(inb.convert(b"a\r\nb\r"), b"a\r\nb\r");
        assert_eq!(inb.finish(), b"");
        let mut inb = Inbound::new(Representation::Ascii, 8);
        assert_eq!(inb.convert(b"a\r\nb\r"), b"a\nb");
        assert_eq!(inb.convert(b"\nc\r"), b"\nc");
        assert_eq!(inb.finish(), b"\r");
        assert_eq!(inb.finish(), b"");
    }
}
