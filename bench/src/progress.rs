//! Progress lines on stderr, so that stdout holds only the table.

pub fn log(message: impl AsRef<str>) {
    eprintln!("bench: {}", message.as_ref());
}
