//! Web UI passwords: Argon2id with the `argon2` crate's default parameters (its
//! version 19, 19 MiB, two passes, one lane: OWASP's recommended minimum), each with a
//! 16-byte salt from the OS generator. Only the PHC string (`$argon2id$v=19$...`)
//! that [`hash_password`] makes is kept, in `UserEvent::PasswordSet` and the `users`
//! read model; it names its own parameters, so stronger defaults later still verify
//! the hashes made before them.
//!
//! Both functions take tens of milliseconds of CPU on purpose: call them from
//! `tokio::task::spawn_blocking` in a server.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashing a password failed (the OS generator or the hasher refused).
#[derive(Debug, thiserror::Error)]
#[error("hashing the password failed: {0}")]
pub struct HashError(argon2::password_hash::Error);

/// The Argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(HashError)
}

/// Whether `password` is the one `hash` was made from. A `hash` that is no PHC
/// string of an Argon2 variant verifies nothing: it is `false`, never an error, so a
/// caller cannot tell a damaged hash from a wrong password by the answer.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "correct horse battery staple"));
    }

    #[test]
    fn a_wrong_password_does_not_verify() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(!verify_password(&hash, "correct horse battery stapler"));
        assert!(!verify_password(&hash, ""));
    }

    #[test]
    fn a_garbage_hash_verifies_nothing() {
        for hash in [
            "",
            "hunter2",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ] {
            assert!(!verify_password(hash, "hunter2"), "{hash:?}");
        }
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let first = hash_password("hunter22hunter").unwrap();
        let second = hash_password("hunter22hunter").unwrap();
        assert_ne!(first, second);
        assert!(verify_password(&first, "hunter22hunter"));
        assert!(verify_password(&second, "hunter22hunter"));
    }
}
