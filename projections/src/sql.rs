//! Pieces of SQL that statements built at run time share.

/// `name` as an SQL identifier, quoted (as `quote_ident` would, but always): for the
/// names of tables, partitions, schemas and databases that come from the catalog or
/// from configuration and cannot be bound as parameters.
pub fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_is_put_in_double_quotes() {
        assert_eq!(identifier("ingested_events_p1"), "\"ingested_events_p1\"");
    }

    #[test]
    fn a_double_quote_inside_a_name_is_doubled() {
        assert_eq!(identifier("a\"b"), "\"a\"\"b\"");
    }
}
