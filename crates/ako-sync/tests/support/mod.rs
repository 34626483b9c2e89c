//! Test helpers: hand-built desired objects (L7 shapes the translator does not produce yet),
//! L4 translations of generated Services, and avisim started in-process over HTTPS.

#![allow(dead_code)]

pub mod desired;
pub mod mem;
pub mod sim;
