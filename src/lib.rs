//! akms
