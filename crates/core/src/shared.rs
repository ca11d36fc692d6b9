//! A one-shot result that many futures can wait for: the single-flight refresh's outcome.
//! Pure Rust (no JS promise), so the coordinator is tested natively.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A value set once; every waiter gets a clone.
///
/// ```
/// use authlane_core::shared::Shared;
/// let s = Shared::<u8>::new();
/// assert!(s.complete(1));
/// assert!(!s.complete(2), "only the first outcome counts");
/// ```
pub struct Shared<T> {
    inner: RefCell<Inner<T>>,
}

struct Inner<T> {
    value: Option<T>,
    wakers: Vec<Waker>,
}

impl<T: Clone> Shared<T> {
    /// An empty slot.
    pub fn new() -> Rc<Self> {
        Rc::new(Shared {
            inner: RefCell::new(Inner {
                value: None,
                wakers: Vec::new(),
            }),
        })
    }

    /// Sets the value and wakes every waiter; false if it was already set.
    pub fn complete(&self, value: T) -> bool {
        let wakers = {
            let mut inner = self.inner.borrow_mut();
            if inner.value.is_some() {
                return false;
            }
            inner.value = Some(value);
            std::mem::take(&mut inner.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// A future of the value.
    pub fn wait(self: &Rc<Self>) -> Wait<T> {
        Wait {
            shared: Rc::clone(self),
        }
    }
}

/// The future returned by [`Shared::wait`].
pub struct Wait<T> {
    shared: Rc<Shared<T>>,
}

impl<T: Clone> Future for Wait<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut inner = self.shared.inner.borrow_mut();
        if let Some(v) = &inner.value {
            return Poll::Ready(v.clone());
        }
        if !inner.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            inner.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
