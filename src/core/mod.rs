//! The safe Rust core of akms: a key store with the API of a cloud KMS. It knows nothing of C;
//! [`crate::ffi`] puts the C ABI over it.

pub mod access;
pub mod alias;
pub mod audit;
pub mod clock;
pub mod csr;
pub mod encrypt;
pub mod error;
pub mod id;
pub mod import;
pub mod key;
pub mod key_spec;
pub mod keypair;
pub mod material;
pub mod persist;
pub mod policy;
pub mod secret;
pub mod sign;
pub mod state;
pub mod store;

pub use audit::{AuditCallback, AuditEvent};
pub use error::{Error, Result, Status};
pub use key::{KeyMetadata, KeyState, KeyVersionInfo, Origin};
pub use key_spec::{Algorithm, KeySpec, KeyUsage, MessageType};
pub use store::Store;
