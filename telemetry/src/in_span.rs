//! [`InSpan`]: a stream polled inside a span, which lives as long as the stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tracing::Span;

/// Enters `span` on every poll of `inner` (so spans opened while producing an item are its
/// children) and closes it when the stream is dropped.
pub struct InSpan<S> {
    inner: S,
    span: Span,
}

impl<S> InSpan<S> {
    pub fn new(inner: S, span: Span) -> InSpan<S> {
        InSpan { inner, span }
    }
}

impl<S: Stream + Unpin> Stream for InSpan<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        Pin::new(&mut this.inner).poll_next(cx)
    }
}
