//! AsymmetricDecrypt of arbitrary bytes with every decrypting spec and algorithm (RSA_2048 and
//! RSA_3072 with OAEP-SHA-1 and OAEP-SHA-256, EC_SM2 with SM2PKE in DER and raw form).
//!
//! Input: `[case] ciphertext...` (see `akms_fuzz::DECRYPT_CASES`). Every input either decrypts
//! or fails with `DecryptionFailed` and the one fixed message (no padding oracle in the text);
//! any other outcome, or a panic, is a crash.
#![no_main]

use akms::core::encrypt;
use akms::Error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(((spec, alg), ciphertext)) = akms_fuzz::split_decrypt(data) else {
        return;
    };
    match encrypt::decrypt(akms_fuzz::pair(spec), alg, ciphertext) {
        Ok(plaintext) => {
            let max = alg.max_plaintext_len(spec).expect("a decrypting case");
            assert!(
                plaintext.len() <= max,
                "{alg}: plaintext longer than the limit"
            );
        }
        Err(Error::DecryptionFailed(message)) => {
            assert_eq!(
                message, "the ciphertext could not be decrypted with this key version",
                "every bad ciphertext must carry the same message"
            );
        }
        Err(e) => panic!("{alg} with {spec}: unexpected {e:?}"),
    }
});
