//! A request as the protocols see it: method, path, query, headers, body and peer, taken
//! off the wire by the HTTP layer (mod.rs) and independent of it, so that tests and the fuzz
//! target can build one from bytes.

/// One HTTP request, already bounded in size by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The query string as sent, without the `?`.
    pub query: String,
    /// Header names in lower case, values as sent (headers that are not UTF-8 are dropped by
    /// the HTTP layer), in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The peer's IP address, for the audit log.
    pub source_ip: String,
}

impl Request {
    /// The value of header `name` (lower case); several are joined with `,`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parses a raw HTTP/1.1 request (request line, headers, body by Content-Length or the
    /// rest). For the fuzz target and tests; the server itself uses hyper.
    pub fn parse_raw(raw: &[u8]) -> Option<Request> {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&raw[..split]).ok()?;
        let body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let method = first.next()?.to_owned();
        let target = first.next()?;
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = Vec::new();
        for line in lines {
            let (n, v) = line.split_once(':')?;
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        Some(Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
            source_ip: "127.0.0.1".into(),
        })
    }
}
