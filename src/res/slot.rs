//! [`Slot`]: a typed value that remembers whether its key was absent, null, or present.
//!
//! Real exports use all three states for the same key (a function's `export_key` is a string in
//! one file and `null` in the deliberately corrupt one), and the model must write back exactly
//! what it read. `Option<T>` with `skip_serializing_if` would turn `null` into a missing key, so
//! every typed field of the model is a `Slot`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON member that may be absent, explicitly `null`, or a `T`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Slot<T> {
    /// The key was not in the object; it is not written back.
    #[default]
    Absent,
    /// The key was present with the value `null`.
    Null,
    /// The key held a value of the expected type.
    Value(T),
}

impl<T> Slot<T> {
    /// `skip_serializing_if` predicate: only absent keys are skipped.
    pub fn is_absent(&self) -> bool {
        matches!(self, Slot::Absent)
    }

    /// The value, when there is one.
    pub fn get(&self) -> Option<&T> {
        match self {
            Slot::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Mutable access to the value, when there is one.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Slot::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_present(&self) -> bool {
        matches!(self, Slot::Value(_))
    }

    /// The value, consuming the slot.
    pub fn into_option(self) -> Option<T> {
        match self {
            Slot::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl Slot<String> {
    /// The string value, when there is one.
    pub fn as_str(&self) -> Option<&str> {
        self.get().map(String::as_str)
    }
}

impl From<&str> for Slot<String> {
    fn from(v: &str) -> Self {
        Slot::Value(v.to_owned())
    }
}

impl<T> From<T> for Slot<T> {
    fn from(v: T) -> Self {
        Slot::Value(v)
    }
}

impl<T: Serialize> Serialize for Slot<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Only reached when a struct forgot `skip_serializing_if`; null is the safest spelling.
            Slot::Absent | Slot::Null => s.serialize_none(),
            Slot::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Slot::Value(v),
            None => Slot::Null,
        })
    }
}

/// A slice view of an optional list: absent and null both read as empty.
pub(crate) fn list<T>(slot: &Slot<Vec<T>>) -> &[T] {
    slot.get().map(Vec::as_slice).unwrap_or(&[])
}

/// An object's member name as read: borrowed from the input when it holds no escape, so that
/// matching it against the model's names allocates nothing.
pub(crate) struct Key<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visitor)
    }
}
