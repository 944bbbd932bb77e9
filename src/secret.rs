//! SECRET_KEY values: random ones as Django makes them, and checks on ones the user gives.

use crate::error::Error;

const ALPHABET: &[u8; 50] = b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
const LENGTH: usize = 50;
/// Django's `SECRET_KEY_INSECURE_PREFIX`.
const INSECURE_PREFIX: &str = "django-insecure-";

/// The value written into settings as `SECRET_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// `django-insecure-` and 50 characters drawn uniformly from Django's alphabet with the
    /// operating system's secure random source. Bytes of 250 and above are redrawn, so that
    /// `byte % 50` has no bias.
    pub(crate) fn random() -> Result<Self, Error> {
        let mut key = String::with_capacity(INSECURE_PREFIX.len() + LENGTH);
        key.push_str(INSECURE_PREFIX);
        let mut buffer = [0u8; 64];
        while key.len() < INSECURE_PREFIX.len() + LENGTH {
            getrandom::fill(&mut buffer).map_err(|e| Error::Random(e.to_string()))?;
            for &byte in &buffer {
                if byte < 250 && key.len() < INSECURE_PREFIX.len() + LENGTH {
                    key.push(ALPHABET[usize::from(byte % 50)] as char);
                }
            }
        }
        Ok(SecretKey(key))
    }

    /// A key given on the command line. It lands inside a single-quoted Python string, so
    /// anything that would end or corrupt that string is refused.
    pub fn given(key: &str) -> Result<Self, Error> {
        if key.is_empty() {
            return Err(Error::InvalidSecretKey("the secret key is empty".into()));
        }
        if let Some(c) = key
            .chars()
            .find(|&c| c == '\'' || c == '\\' || c.is_control())
        {
            return Err(Error::InvalidSecretKey(format!(
                "the secret key contains {c:?}, which cannot stand inside a Python string literal"
            )));
        }
        Ok(SecretKey(key.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_key_has_django_shape() {
        let key = SecretKey::random().unwrap();
        let tail = key.as_str().strip_prefix(INSECURE_PREFIX).unwrap();
        assert_eq!(tail.len(), LENGTH);
        assert!(tail.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(key, SecretKey::random().unwrap());
    }

    #[test]
    fn random_keys_cover_the_alphabet_evenly() {
        let mut counts = [0u32; 50];
        for _ in 0..400 {
            let key = SecretKey::random().unwrap();
            for b in key.as_str()[INSECURE_PREFIX.len()..].bytes() {
                let i = ALPHABET.iter().position(|&a| a == b).unwrap();
                counts[i] += 1;
            }
        }
        // 20,000 draws, 400 expected per character; a biased draw would push some far off.
        assert!(
            counts.iter().all(|&c| (300..500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn given_key_refuses_what_breaks_python() {
        assert!(SecretKey::given("abc").is_ok());
        for bad in ["", "a'b", "a\\b", "a\nb"] {
            assert!(SecretKey::given(bad).is_err(), "{bad:?}");
        }
    }
}
