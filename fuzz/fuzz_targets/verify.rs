//! AsymmetricVerify of arbitrary signatures (and data) for every signing spec and algorithm,
//! with DIGEST and RAW message types, plus algorithms that do not fit the key.
//!
//! Input: `[case] [message type] [data length] data... signature...` (see
//! `akms_fuzz::split_verify`). A malformed signature is `Ok(false)`; only a DIGEST that is not
//! 32 bytes (`InvalidArgument`) or a misfit algorithm (`Incompatible`) is an error. Anything
//! else, or a panic, is a crash.
#![no_main]

use akms::core::sign;
use akms::{Error, MessageType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = akms_fuzz::split_verify(data) else {
        return;
    };
    let pair = akms_fuzz::pair(input.spec);
    let fits = input.alg.fits_spec(input.spec);
    match sign::verify(
        pair,
        input.alg,
        input.message_type,
        input.data,
        input.signature,
    ) {
        Ok(_) => assert!(fits, "a misfit algorithm verified"),
        Err(Error::InvalidArgument(_)) => {
            assert!(input.message_type == MessageType::Digest && input.data.len() != 32)
        }
        Err(Error::Incompatible(_)) => assert!(!fits, "a fitting algorithm was refused"),
        Err(e) => panic!("{} with {}: unexpected {e:?}", input.alg, input.spec),
    }
});
