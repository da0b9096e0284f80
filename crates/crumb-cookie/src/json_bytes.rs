//! How a cookie's name and value (bytes, usually UTF-8) are written in the
//! jar's JSON: a string when they are UTF-8, otherwise `{"base64": "..."}`,
//! so that no byte is lost. Used with `#[serde(with = "crate::json_bytes")]`.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Bytes { base64: String },
}

/// Writes bytes as text, or base64 when they are not UTF-8.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Repr::Text(text.to_owned()),
        Err(_) => Repr::Bytes { base64: base64::engine::general_purpose::STANDARD.encode(bytes) },
    }
    .serialize(serializer)
}

/// Reads what [`serialize`] wrote.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    match Repr::deserialize(deserializer)? {
        Repr::Text(text) => Ok(text.into_bytes()),
        Repr::Bytes { base64 } => {
            base64::engine::general_purpose::STANDARD.decode(base64).map_err(serde::de::Error::custom)
        }
    }
}
