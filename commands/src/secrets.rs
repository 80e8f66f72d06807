//! Secrets: API tokens (only their hash is stored) and client keys.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Prefix of user auth tokens, as Sentry's.
pub const USER_TOKEN_PREFIX: &str = "sntryu_";

/// A new user auth token and the hash to store for it.
pub fn new_token() -> (String, String) {
    // Two v4 UUIDs: 244 random bits from the OS generator.
    let token = format!(
        "{USER_TOKEN_PREFIX}{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    );
    let hash = hash_token(&token);
    (token, hash)
}

/// The lowercase hex SHA-256 of a token, the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new client key pair (public, secret), 32 lowercase hex characters each.
pub fn new_client_key() -> (String, String) {
    (
        Uuid::new_v4().simple().to_string(),
        Uuid::new_v4().simple().to_string(),
    )
}

/// A new signing secret (a service hook's, a webhook action's): 64 lowercase hex
/// characters, the HMAC-SHA256 key receivers check `X-ServiceHook-Signature` with.
pub fn new_signing_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// A new service hook id: 32 lowercase hex characters, as Sentry's.
pub fn new_hook_id() -> String {
    Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_hashes_to_its_stored_hash() {
        let (token, hash) = new_token();
        assert!(token.starts_with(USER_TOKEN_PREFIX));
        assert_eq!(token.len(), USER_TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&token), hash);
        assert_eq!(hash.len(), 64);
    }

    #[test]
    fn client_keys_are_32_hex_characters_and_differ() {
        let (public, secret) = new_client_key();
        assert_eq!(public.len(), 32);
        assert!(public.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(public, secret);
    }

    #[test]
    fn signing_secrets_are_64_hex_characters_and_differ() {
        let secret = new_signing_secret();
        assert_eq!(secret.len(), 64);
        assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(secret, new_signing_secret());
    }
}
