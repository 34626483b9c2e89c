//! Avi Controller object types, references and checksums: pure data, no IO.
