//! Store locations in PostgreSQL: a libpq connection URI (`postgresql://` or `postgres://`),
//! plus the parameter `akms_store=NAME` that picks one of the stores in the database.
//!
//! ```text
//! postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?param=value&...]
//! ```
//! The parameters akms reads itself: `akms_store` (`[A-Za-z0-9_-]{1,64}`, default `default`),
//! `sslmode` (`disable`, `allow` and `prefer` (TLS if the server offers it), `require` (TLS,
//! certificate not checked, as in libpq), `verify-ca` (TLS, certificate chain checked against
//! `sslrootcert`), `verify-full` (and the host name too)), `sslrootcert` (a PEM file of CA
//! certificates; `system` for the system's bundle; default `~/.postgresql/root.crt` as libpq).
//! Every other parameter (`user`, `password`, `dbname`, `host`, `port`, `connect_timeout`,
//! `application_name`, `options`, `keepalives*`, `tcp_user_timeout`, `target_session_attrs`,
//! ...) goes to the client as libpq would read it; one it does not know is `InvalidArgument`.
//! Without a password in the URI, `PGPASSWORD` is used if set.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;
#[cfg(test)]
use tokio_postgres::config::SslMode;

use crate::core::error::{invalid, Result};

/// The store name used when the URI has no `akms_store`.
pub const DEFAULT_STORE: &str = "default";

/// How long opening a connection may take, unless the URI says `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long sent data may go unacknowledged before the connection is given up (Linux
/// `TCP_USER_TIMEOUT`), unless the URI says `tcp_user_timeout`: a database that vanished from
/// the network fails a call in bounded time instead of hanging it.
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `location` names a PostgreSQL store rather than a file.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgresql://") || location.starts_with("postgres://")
}

/// TLS to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// No TLS (`sslmode=disable`).
    Off,
    /// TLS without checking the certificate (`prefer`: only if the server offers it;
    /// `require`: always), as libpq does when it has no root certificate.
    Unverified,
    /// TLS, the certificate chain checked against these roots (`verify-ca`).
    VerifyCa(Roots),
    /// TLS, the chain and the host name checked (`verify-full`).
    VerifyFull(Roots),
}

/// Where the trusted CA certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file.
    File(PathBuf),
    /// The system's CA bundle (`sslrootcert=system`).
    System,
}

/// A parsed PostgreSQL store location.
#[derive(Clone)]
pub struct Location {
    /// The store's name in the database (`akms_store`).
    pub store: String,
    /// The connection settings (with akms's timeouts filled in).
    pub config: tokio_postgres::Config,
    /// TLS to the server.
    pub tls: Tls,
}

impl Location {
    /// Parses `uri`; anything malformed is `InvalidArgument` (the message never repeats the
    /// password).
    pub fn parse(uri: &str) -> Result<Location> {
        if !is_postgres(uri) {
            return Err(invalid(
                "a PostgreSQL store location begins with postgresql:// or postgres://",
            ));
        }
        let (base, query) = match uri.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (uri, None),
        };
        let mut store = None;
        let mut sslmode = None;
        let mut rootcert = None;
        let mut rest = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| invalid(format!("URI parameter {:?} has no value", key_of(pair))))?;
            let key = decode(k)?;
            let slot = match key.as_str() {
                "akms_store" => &mut store,
                "sslmode" => &mut sslmode,
                "sslrootcert" => &mut rootcert,
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" | "service"
                | "passfile" | "gssencmode" | "krbsrvname" | "requiressl" => {
                    return Err(invalid(format!(
                        "URI parameter {key} is not supported by akms's PostgreSQL client"
                    )))
                }
                _ => {
                    rest.push(pair);
                    continue;
                }
            };
            if slot.replace(decode(v)?).is_some() {
                return Err(invalid(format!("URI parameter {key} is given twice")));
            }
        }

        let store = store.unwrap_or_else(|| DEFAULT_STORE.to_owned());
        check_store_name(&store)?;
        let tls = tls_mode(sslmode.as_deref(), rootcert)?;

        let mut client_uri = base.to_owned();
        let mut sep = '?';
        for pair in rest {
            client_uri.push(sep);
            client_uri.push_str(pair);
            sep = '&';
        }
        // The client knows disable, prefer and require; verification is akms's (tls.rs).
        let mode = match tls {
            Tls::Off => "disable",
            Tls::Unverified
                if sslmode
                    .as_deref()
                    .is_none_or(|m| m == "prefer" || m == "allow") =>
            {
                "prefer"
            }
            _ => "require",
        };
        client_uri.push(sep);
        client_uri.push_str("sslmode=");
        client_uri.push_str(mode);

        let mut config = tokio_postgres::Config::from_str(&client_uri).map_err(|e| {
            invalid(format!(
                "malformed PostgreSQL URI {}: {e}",
                redact(&client_uri)
            ))
        })?;
        fill_defaults(&mut config)?;
        Ok(Location { store, config, tls })
    }

    /// The location for messages: hosts, database, user and store, never the password.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let port = self
                    .config
                    .get_ports()
                    .get(i)
                    .or(self.config.get_ports().first())
                    .copied()
                    .unwrap_or(5432);
                match h {
                    Host::Tcp(name) => format!("{name}:{port}"),
                    Host::Unix(path) => format!("{}:{port}", path.display()),
                }
            })
            .collect();
        format!(
            "postgresql://{}@{}/{} (store {})",
            self.config.get_user().unwrap_or(""),
            hosts.join(","),
            self.config.get_dbname().unwrap_or(""),
            self.store
        )
    }
}

/// `akms_store` must be `[A-Za-z0-9_-]{1,64}`.
pub fn check_store_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "akms_store={name:?}: a store name is 1 to 64 of [A-Za-z0-9_-]"
        )))
    }
}

fn tls_mode(sslmode: Option<&str>, rootcert: Option<String>) -> Result<Tls> {
    let roots = || -> Result<Roots> {
        match rootcert.as_deref() {
            Some("system") => Ok(Roots::System),
            Some("") => Err(invalid("sslrootcert is empty")),
            Some(path) => Ok(Roots::File(PathBuf::from(path))),
            None => {
                let home = std::env::var_os("HOME").ok_or_else(|| {
                    invalid("sslmode verify-ca/verify-full needs sslrootcert (HOME is not set)")
                })?;
                Ok(Roots::File(
                    PathBuf::from(home).join(".postgresql/root.crt"),
                ))
            }
        }
    };
    match sslmode.unwrap_or("prefer") {
        "disable" => Ok(Tls::Off),
        "allow" | "prefer" | "require" => Ok(Tls::Unverified),
        "verify-ca" => Ok(Tls::VerifyCa(roots()?)),
        "verify-full" => Ok(Tls::VerifyFull(roots()?)),
        other => Err(invalid(format!(
            "sslmode={other:?}: expected disable, allow, prefer, require, verify-ca or verify-full"
        ))),
    }
}

/// akms's defaults where the URI is silent: timeouts, keepalives, a user, an application name.
fn fill_defaults(config: &mut tokio_postgres::Config) -> Result<()> {
    if config.get_hosts().is_empty() {
        // libpq's default: the local socket directory (Debian's), else localhost.
        let socket = PathBuf::from("/var/run/postgresql");
        if socket.is_dir() {
            config.host_path(socket);
        } else {
            config.host("localhost");
        }
    }
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER")
            .or_else(|_| std::env::var("USER"))
            .or_else(|_| std::env::var("LOGNAME"))
            .map_err(|_| invalid("the PostgreSQL URI names no user (and USER is not set)"))?;
        config.user(user);
    }
    if config.get_password().is_none() {
        if let Some(pw) = std::env::var_os("PGPASSWORD") {
            config.password(pw.as_encoded_bytes());
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("akms");
    }
    // A connection whose peer vanished is noticed in about 25 s even while idle (the follower).
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(10));
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(Duration::from_secs(5));
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(3);
    }
    Ok(())
}

/// Percent-decodes a URI parameter key or value.
fn decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| invalid("malformed percent-encoding in a URI parameter"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid("a URI parameter is not UTF-8"))
}

fn key_of(pair: &str) -> &str {
    pair.split('=').next().unwrap_or(pair)
}

/// `uri` with the password (in the user info or a `password=` parameter) replaced by `***`.
fn redact(uri: &str) -> String {
    let (base, query) = match uri.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (uri, None),
    };
    let mut out = String::new();
    match base.split_once("://") {
        Some((scheme, rest)) => {
            out.push_str(scheme);
            out.push_str("://");
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            match authority.rsplit_once('@') {
                Some((userinfo, hosts)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    out.push_str(user);
                    if userinfo.contains(':') {
                        out.push_str(":***");
                    }
                    out.push('@');
                    out.push_str(hosts);
                }
                None => out.push_str(authority),
            }
            out.push_str(path);
        }
        None => out.push_str(base),
    }
    if let Some(q) = query {
        out.push('?');
        let pairs: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some(("password", _)) => "password=***".to_owned(),
                _ => p.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::Error;

    fn parse(uri: &str) -> Result<Location> {
        Location::parse(uri)
    }

    #[test]
    fn store_names() {
        assert_eq!(parse("postgresql://u@h/db").unwrap().store, "default");
        assert_eq!(
            parse("postgres://u@h/db?akms_store=a-B_9").unwrap().store,
            "a-B_9"
        );
        let long = "x".repeat(64);
        assert_eq!(
            parse(&format!("postgresql://u@h/db?akms_store={long}"))
                .unwrap()
                .store,
            long
        );
        for bad in [
            "akms_store=",
            "akms_store=a.b",
            "akms_store=a%20b",
            "akms_store=%C3%A9",
            &format!("akms_store={}", "x".repeat(65)),
            "akms_store=a&akms_store=b",
        ] {
            let e = parse(&format!("postgresql://u@h/db?{bad}")).err().unwrap();
            assert!(matches!(e, Error::InvalidArgument(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn client_settings() {
        let loc = parse(
            "postgresql://alice:s3cret@db.example:6543/keys?application_name=x&connect_timeout=3",
        )
        .unwrap();
        assert_eq!(loc.config.get_user(), Some("alice"));
        assert_eq!(loc.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(loc.config.get_dbname(), Some("keys"));
        assert_eq!(loc.config.get_ports(), &[6543]);
        assert_eq!(loc.config.get_application_name(), Some("x"));
        assert_eq!(
            loc.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(loc.tls, Tls::Unverified);
        assert_eq!(loc.config.get_ssl_mode(), SslMode::Prefer);
        let d = loc.describe();
        assert!(d.contains("alice@db.example:6543/keys"), "{d}");
        assert!(!d.contains("s3cret"));
        // Defaults filled in.
        let loc = parse("postgres://u@h/db").unwrap();
        assert_eq!(loc.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(loc.config.get_tcp_user_timeout(), Some(&TCP_USER_TIMEOUT));
    }

    #[test]
    fn ssl_modes() {
        let loc = parse("postgresql://u@h/db?sslmode=disable").unwrap();
        assert_eq!(loc.tls, Tls::Off);
        assert_eq!(loc.config.get_ssl_mode(), SslMode::Disable);
        let loc = parse("postgresql://u@h/db?sslmode=require").unwrap();
        assert_eq!(loc.tls, Tls::Unverified);
        assert_eq!(loc.config.get_ssl_mode(), SslMode::Require);
        let loc = parse("postgresql://u@h/db?sslmode=verify-full&sslrootcert=/x/ca.pem").unwrap();
        assert_eq!(loc.tls, Tls::VerifyFull(Roots::File("/x/ca.pem".into())));
        assert_eq!(loc.config.get_ssl_mode(), SslMode::Require);
        let loc = parse("postgresql://u@h/db?sslrootcert=system&sslmode=verify-ca").unwrap();
        assert_eq!(loc.tls, Tls::VerifyCa(Roots::System));
        for bad in [
            "sslmode=verify",
            "sslmode=",
            "sslcert=/c.pem",
            "sslmode=require&sslmode=disable",
        ] {
            let e = parse(&format!("postgresql://u@h/db?{bad}")).err().unwrap();
            assert!(matches!(e, Error::InvalidArgument(_)), "{bad}: {e:?}");
        }
    }

    #[test]
    fn malformed_uris_are_invalid_arguments_without_the_password() {
        for bad in [
            "postgresql://u:pw@h:notaport/db",
            "postgresql://u:pw@h/db?nosuchparam=1",
            "postgresql://u:pw@h/db?connect_timeout=soon",
            "postgresql://u:pw@h/db?akms_store",
            "postgresql://u:pw@h/db?akms_store=%zz",
            "mysql://u:pw@h/db",
        ] {
            match parse(bad) {
                Err(Error::InvalidArgument(m)) => assert!(!m.contains("pw@"), "{bad}: {m}"),
                other => panic!("{bad}: {:?}", other.err()),
            }
        }
        assert_eq!(
            redact("postgresql://u:pw@h/db?password=x&a=b"),
            "postgresql://u:***@h/db?password=***&a=b"
        );
    }
}
