//! Typed REST client for the Avi Controller.
