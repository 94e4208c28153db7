//! Which parameter gradients a backward pass has to produce.
//!
//! An optimizer step back-propagates through every model the loss touched, but keeps only
//! the gradients of the models it updates: in a GAN's generator step the loss runs through
//! D, whose weight gradients are computed and then dropped (PyTorch does the same unless
//! D's `requires_grad` is switched off). [`Optimizer::step`](crate::nn::optim::Optimizer::step)
//! names the parameters it wants with [`with_wanted`]; ganbook's own kernels ask
//! [`skip`] before computing a weight gradient. Only leaves (the parameters themselves) are
//! skipped: a gradient that flows on to other nodes is always computed. Backward passes run
//! on the calling thread (burn's autodiff graph client), so the set is thread-local.

use burn::backend::autodiff::NodeId;
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    static WANTED: RefCell<Option<HashSet<NodeId>>> = const { RefCell::new(None) };
}

/// Runs `f` (a backward pass) with only the leaves `wanted` needing gradients; the previous
/// setting is restored afterwards, also when `f` panics.
pub fn with_wanted<R>(wanted: HashSet<NodeId>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<HashSet<NodeId>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            WANTED.with(|w| *w.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(WANTED.with(|w| w.borrow_mut().replace(wanted)));
    f()
}

/// Whether the gradient of node `id` may be left out: it is a leaf (`no_parents`: a
/// tracked node without tracked parents is a tensor that asked for gradients), and a set of
/// wanted leaves is active that does not hold it.
pub fn skip(id: NodeId, no_parents: bool) -> bool {
    no_parents && WANTED.with(|w| w.borrow().as_ref().is_some_and(|set| !set.contains(&id)))
}
