//! Data sources. For now: the 2-D toy distributions used to teach mode collapse.

pub mod toy2d;
