//! Reading what commands take: `--in FILE` or `--in -` (standard input), and PKCS#8 private keys
//! in DER or PEM. Secret inputs are read into buffers that zeroize, growing without leaving
//! copies behind.

use std::io::{self, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{io_error, Failure};

/// Whether `path` is `-`, standard input (or output).
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The bytes of `path` (`-` is standard input), in a buffer that zeroizes on drop.
pub fn read_input(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let what = || {
        if is_stdio(path) {
            "cannot read standard input".to_string()
        } else {
            format!("cannot read {}", path.display())
        }
    };
    if is_stdio(path) {
        read_secret(&mut io::stdin().lock()).map_err(|e| io_error(what(), e))
    } else {
        let mut file = std::fs::File::open(path).map_err(|e| io_error(what(), e))?;
        read_secret(&mut file).map_err(|e| io_error(what(), e))
    }
}

/// Reads `reader` to its end. The buffer grows by copying into a larger zeroizing buffer, so no
/// freed allocation keeps a copy of the bytes.
pub fn read_secret(reader: &mut impl Read) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; 8192]);
    let mut len = 0;
    loop {
        if len == buf.len() {
            let mut bigger = Zeroizing::new(vec![0u8; buf.len() * 2]);
            bigger[..len].copy_from_slice(&buf[..len]);
            buf = bigger;
        }
        match reader.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    // Truncating keeps the allocation; the tail beyond `len` is zeroes or wiped on drop.
    buf.truncate(len);
    Ok(buf)
}

/// The PKCS#8 DER of a private key given as DER or as PEM (`-----BEGIN PRIVATE KEY-----`),
/// detected from the bytes. A PEM of another kind is `AKMS_ERR_INVALID_ARGUMENT` saying what
/// it is and how to convert it.
pub fn pkcs8_der(bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let text_start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if !bytes[text_start..].starts_with(b"-----BEGIN ") {
        return Ok(bytes);
    }
    let invalid = |m: String| Failure::Akms(akms::Error::InvalidArgument(m));
    let (label, der) = pem_rfc7468::decode_vec(&bytes[text_start..])
        .map_err(|e| invalid(format!("the PEM private key cannot be read: {e}")))?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => Ok(der),
        "ENCRYPTED PRIVATE KEY" => Err(invalid(
            "the key is an encrypted PKCS#8 key; decrypt it first \
             (openssl pkcs8 -in KEY -out PLAIN.pem)"
                .into(),
        )),
        other => Err(invalid(format!(
            "the PEM holds {other:?}, not a PKCS#8 \"PRIVATE KEY\"; convert it with \
             openssl pkcs8 -topk8 -nocrypt -in KEY -out PKCS8.pem"
        ))),
    }
}
