//! A build without the `postgres` feature (the pure-rust build): a PostgreSQL location is
//! refused as such, never taken for a file path.
#![cfg(not(feature = "postgres"))]

use akms::core::{Status, Store};

#[test]
fn a_postgres_location_is_refused_and_makes_no_file() {
    for uri in [
        "postgresql://akms@127.0.0.1/akms?akms_store=a",
        "postgres://localhost/akms",
    ] {
        let e = Store::open(uri, b"passphrase").err().unwrap();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        assert!(e.message().contains("PostgreSQL"), "{e}");
    }
    assert!(!std::path::Path::new("postgresql:").exists());
    assert!(!std::path::Path::new("postgres:").exists());
}
